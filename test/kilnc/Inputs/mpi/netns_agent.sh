#!/bin/sh
# plm_rsh_agent for mpi-netns.test: Open MPI calls it like ssh,
# `agent HOST COMMAND...`, to start its daemon on HOST. Here a host is a
# network namespace: the daemon runs inside it, with the namespace's name
# as its host name (a UTS namespace of its own), so that Open MPI sees two
# nodes whose traffic crosses the veth pair between them.
host=$1
shift
exec ip netns exec "$host" unshare --uts /bin/sh -c "hostname $host && $*"
