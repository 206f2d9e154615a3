#!/usr/bin/env bash
# Runs the whole test suite: unit and in-JVM tests, then the plugin zip is installed into a real
# OpenSearch 3.5.0 node (with k-NN) on 127.0.0.1, and the Java and YAML REST integration tests run
# against it. Then scripts/test-versions.sh builds the zip for OpenSearch 3.2.0, 3.3.0, 3.4.0 and
# 3.6.0 and runs the YAML suite and SmokeIT on a node of each, SecuredClusterIT on a two-node
# 3.4.0 cluster with the security plugin (one node serving the models for the other), and
# MixedVersionClusterIT (3.5.0 and 3.6.0 nodes serving each other, with the 3.5.0 zips of the
# default run) in the 3.6.0 run. Needs a JDK 21+ (found automatically) and Maven; everything else
# comes from Maven Central. Extra arguments go to Maven for the default version only, and skip the
# other versions (e.g. -Dtest=PoolerTests -DskipITs); INSTRUCT_EMBED_TEST_VERSIONS="3.4.0" picks the
# other versions ("" for none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=java-home.sh
. "$here/java-home.sh"
cd "$here/.."
started=$SECONDS
status=0
mvn -B verify "$@" || status=$?
echo "scripts/test.sh: default version (3.5.0) suite $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
if [ $# -gt 0 ]; then
  echo "scripts/test.sh: Maven arguments given, so the other OpenSearch versions were not tested (scripts/test-versions.sh)"
  exit $status
fi
versions=${INSTRUCT_EMBED_TEST_VERSIONS-3.2.0 3.3.0 3.4.0 3.6.0}
if [ -z "$versions" ]; then
  echo "scripts/test.sh: INSTRUCT_EMBED_TEST_VERSIONS is empty, so the other OpenSearch versions were not tested"
  exit $status
fi
# the other versions run even when the default suite failed: CI reports on all of them at once
# shellcheck disable=SC2086  # a list of versions
"$here/test-versions.sh" $versions || status=$?
echo "scripts/test.sh: everything in $((SECONDS - started)) s$([ $status -ne 0 ] && echo ', with failures')"
exit $status
