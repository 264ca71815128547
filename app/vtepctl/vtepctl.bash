# bash completion for vtepctl                              -*- shell-script -*-
# SPDX-License-Identifier: BSD-3-Clause
#
# The nouns and verbs are those "vtepctl help" lists (tests/cli checks
# that they agree); VNIs and MACs are not completed: that would ask the
# server on every TAB.

_vtepctl_verbs()
{
	case $1 in
	vni) echo "list show add set del" ;;
	fdb) echo "show add del flush" ;;
	flood) echo "add del" ;;
	port) echo "list" ;;
	underlay) echo "show set" ;;
	config) echo "get apply" ;;
	esac
}

_vtepctl()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local nouns="vni fdb flood neigh port underlay stats config health routes help"
	local globals="--json -j --server --token-file --timeout --help -h --version"

	case $prev in
	--token-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--server)
		COMPREPLY=($(compgen -W "http://127.0.0.1:8080" -- "$cur"))
		return ;;
	--timeout|--vni|--count|--watch)
		[[ $prev == --watch && $cur == -* ]] || return ;;
	esac

	# The noun, the verb and the arguments after them, options left out.
	local i w noun= verb= args=()
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--server|--token-file|--timeout|--vni|--count) ((i++)); continue ;;
		-*) continue ;;
		esac
		if [[ -z $noun ]]; then
			noun=$w
		elif [[ -z $verb && -n $(_vtepctl_verbs "$noun") ]]; then
			verb=$w
		else
			args+=("$w")
		fi
	done

	local opts=$globals
	case "$noun $verb" in
	"fdb show") opts+=" --vni --learned --static" ;;
	"stats ") opts+=" --vni --watch --count" ;;
	"config apply") opts+=" --dry-run" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi

	if [[ -z $noun ]]; then
		COMPREPLY=($(compgen -W "$nouns" -- "$cur"))
		return
	fi
	if [[ -z $verb && -n $(_vtepctl_verbs "$noun") ]]; then
		COMPREPLY=($(compgen -W "$(_vtepctl_verbs "$noun")" -- "$cur"))
		return
	fi

	# FIELD VALUE pairs: the field words at even places after the fixed
	# arguments, the values each field takes after them.
	local fields= fixed=0
	case "$noun $verb" in
	"vni add"|"vni set")
		fields="access vlan flood remote remotes group learning mac_limit ageing inner_vlan bum_limit_pps service_node replicator arp_suppress"
		fixed=1 ;;
	"fdb add") fields="remote port vlan"; fixed=2 ;;
	"underlay set") fields="ttl tos df ecn source_ports mtu" ;;
	"config apply") COMPREPLY=($(compgen -f -- "$cur")); return ;;
	"help ") ((${#args[@]} == 0)) && COMPREPLY=($(compgen -W "$nouns" -- "$cur")); return ;;
	esac
	local n=$((${#args[@]} - fixed))
	[[ -n $fields ]] && ((n >= 0)) || return
	if ((n % 2 == 0)); then
		COMPREPLY=($(compgen -W "$fields" -- "$cur"))
		return
	fi
	case $prev in
	flood) COMPREPLY=($(compgen -W "head-end multicast service-node" -- "$cur")) ;;
	learning|df|replicator|arp_suppress) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
	inner_vlan) COMPREPLY=($(compgen -W "drop accept" -- "$cur")) ;;
	ecn) COMPREPLY=($(compgen -W "rfc6040 off" -- "$cur")) ;;
	ttl|tos) COMPREPLY=($(compgen -W "inherit" -- "$cur")) ;;
	vlan) COMPREPLY=($(compgen -W "untagged" -- "$cur")) ;;
	remote|remotes|group) COMPREPLY=($(compgen -W "none" -- "$cur")) ;;
	esac
} &&
	complete -F _vtepctl vtepctl

# ex: filetype=sh
