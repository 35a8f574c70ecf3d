#!/bin/sh
# Runs `mpirun -np NP ARGS...` with the ranks on two "hosts" that are network
# namespaces joined by a veth pair, so that every message between them
# crosses a network interface (mpi-netns.test).
#
# Usage: netns_mpirun.sh DIR NP ARGS...
#
# Namespace A (10.231.0.1) runs mpirun and NP/2 ranks; Open MPI starts its
# daemon in namespace B (10.231.0.2) through netns_agent.sh, as it would
# through ssh on a cluster. Both the runtime's messages (btl tcp) and
# Open MPI's own (oob) are restricted to the veth subnet. Afterwards it
# prints the bytes B's end of the pair received and sent. The namespaces
# are deleted on every exit; the exit status is mpirun's.
set -u
dir=$1
np=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
a=kilnA$$
b=kilnB$$

cleanup() {
  ip netns del "$a" 2>/dev/null
  ip netns del "$b" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

set -e
ip netns add "$a"
ip netns add "$b"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$a"
ip link set "vb$$" netns "$b"
ip -n "$a" addr add 10.231.0.1/24 dev "va$$"
ip -n "$b" addr add 10.231.0.2/24 dev "vb$$"
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up
printf '%s slots=%d\n%s slots=%d\n' "$a" $((np - np / 2)) "$b" $((np / 2)) \
  > "$dir/hostfile"
set +e

# mpirun runs in A under A's name, so Open MPI takes A for the local node.
# Both "nodes" share this machine's cores, which Open MPI cannot know: a
# rank that busy-polls without yielding starves the kernel's delivery of
# the other namespace's packets (measured: 48 ms per reduction instead of
# 0.2 ms), hence mpi_yield_when_idle; binding would pin ranks of both
# nodes to the same cores.
ip netns exec "$a" unshare --uts /bin/sh -c \
  'hostname "$0" && exec "$@"' "$a" \
  mpirun --allow-run-as-root --oversubscribe -np "$np" \
  --hostfile "$dir/hostfile" --bind-to none --mca mpi_yield_when_idle 1 \
  --mca plm_rsh_agent "$here/netns_agent.sh" \
  --mca btl tcp,self --mca btl_tcp_if_include 10.231.0.0/24 \
  --mca oob_tcp_if_include 10.231.0.0/24 "$@"
status=$?
ip -n "$b" -s -j link show "vb$$" |
  /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print("veth bytes received %d sent %d" % (s["rx"]["bytes"], s["tx"]["bytes"]))'
exit $status
