#!/usr/bin/env bash
# Proves the plugin on every OpenSearch version it builds for besides the default (3.5.0, which the
# full suite covers). For each version: builds the zip for it in a build folder of its own
# (target/os-<version>), installs it next to that version's k-NN in a real node, and runs the YAML
# REST suite and SmokeIT against it (unit tests and the other ITs run on the default version only).
# On 3.4.0, the one 3.x version whose security plugin is on Maven Central, it also starts a two-node
# cluster with the security plugin (TLS on HTTP and transport, demo users; node-1 without the
# embedding role, node-2 serving for it) and runs SecuredClusterIT. On 3.6.0, when the default build
# (3.5.0, in target/) has left its zips (scripts/test.sh builds it first), it also runs
# MixedVersionClusterIT: 3.5.0 and 3.6.0 nodes in one cluster, serving each other's embedding calls.
#
#   scripts/test-versions.sh [VERSION...]     default: 3.2.0 3.3.0 3.4.0 3.6.0
#
# Extra Maven arguments: INSTRUCT_EMBED_MVN_ARGS (e.g. "-o").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=java-home.sh
. "$here/java-home.sh"
cd "$here/.."

# The default build's 3.5.0 zips, for MixedVersionClusterIT in the 3.6.0 run: the distribution and
# k-NN are in target/dist once that build has run its integration tests, the plugin in target/.
older_dist=$PWD/target/dist/opensearch-3.5.0.zip
older_knn=$PWD/target/dist/opensearch-knn-3.5.0.0.zip
older_plugin=$(ls -t "$PWD"/target/instruct-embed-*+os3.5.0.zip 2>/dev/null | head -1 || true)

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.2.0 3.3.0 3.4.0 3.6.0)
started=$SECONDS
summary=()
failed=0
for version in "${versions[@]}"; do
  case "$version" in
    3.2.0|3.3.0|3.4.0|3.5.0|3.6.0) ;;
    *) echo "test-versions.sh: no k-NN zip on Maven Central for OpenSearch $version (supported: 3.2.0 3.3.0 3.4.0 3.5.0 3.6.0)" >&2; exit 2 ;;
  esac
  secured=true
  [ "$version" = 3.4.0 ] && secured=false
  mixed=()
  mixed_banner=""
  if [ "$version" = 3.6.0 ]; then
    if [ -f "$older_dist" ] && [ -f "$older_knn" ] && [ -n "$older_plugin" ]; then
      mixed=(-DskipMixedVersionITs=false -Dtests.mixed.older.dist="$older_dist" -Dtests.mixed.older.knn="$older_knn"
        -Dtests.mixed.older.plugin="$older_plugin")
      mixed_banner=" + MixedVersionClusterIT (with the default build's 3.5.0 zips)"
    else
      mixed_banner=" (no MixedVersionClusterIT: the default build's 3.5.0 zips are not in target/; scripts/test.sh builds them first)"
    fi
  fi
  t=$SECONDS
  echo "==> OpenSearch $version: build, install next to k-NN $version.0, YAML suite + SmokeIT$([ "$secured" = false ] && echo ' + SecuredClusterIT (two secured nodes)')$mixed_banner"
  # every version runs even when one fails, so that one report names all that fail
  # shellcheck disable=SC2086  # INSTRUCT_EMBED_MVN_ARGS holds several arguments
  if mvn -B verify ${INSTRUCT_EMBED_MVN_ARGS:-} \
    -Dopensearch.version="$version" -Dbuild.dir="$PWD/target/os-$version" \
    -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=InstructEmbedClientYamlTestSuiteIT,SmokeIT \
    -DskipMultiNodeITs=true -DskipSecuredITs="$secured" "${mixed[@]}"; then
    summary+=("OpenSearch $version: passed in $((SECONDS - t)) s")
  else
    summary+=("OpenSearch $version: FAILED after $((SECONDS - t)) s (reports in target/os-$version/failsafe-reports)")
    failed=$((failed + 1))
  fi
done
printf '%s\n' "${summary[@]}"
echo "test-versions.sh: ${#versions[@]} version(s) in $((SECONDS - started)) s, $failed failed"
[ "$failed" -eq 0 ]
