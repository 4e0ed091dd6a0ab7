# Sourced by kafka.sh and cluster.sh (not run): where the repository, the Kafka version pinned in
# pom.xml and its Maven-fetched jars are. Both scripts must agree on these, so they are said once.
# Expects $here (this folder) to be set by the caller.
repo=$(cd "$here/../.." && pwd)
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
cache=${WIREWATCH_CACHE:-$HOME/.cache/wirewatch}
libs="$cache/kafka-$version/libs"
