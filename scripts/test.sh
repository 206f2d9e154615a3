#!/usr/bin/env bash
# Runs the whole test suite: unit and in-JVM tests, then the plugin zip is installed into a real
# OpenSearch 3.5.0 node (with k-NN) on 127.0.0.1, and the Java and YAML REST integration tests run
# against it. Needs a JDK 21+ (found automatically) and Maven; everything else comes from Maven
# Central. Extra arguments go to Maven (e.g. -Dtest=PoolerTests -DskipITs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=java-home.sh
. "$here/java-home.sh"
cd "$here/.."
exec mvn -B verify "$@"
