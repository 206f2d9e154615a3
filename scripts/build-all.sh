#!/usr/bin/env bash
# Builds the plugin zip for every OpenSearch version it supports (those whose k-NN zip is on Maven
# Central) and gathers them in target/zips/:
#   instruct-embed-<version>+os<OpenSearch version>.zip
# Each version builds in a folder of its own (target/os-<version>); no tests run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=java-home.sh
. "$here/java-home.sh"
cd "$here/.."

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.2.0 3.3.0 3.4.0 3.5.0 3.6.0)
mkdir -p target/zips
for version in "${versions[@]}"; do
  echo "==> OpenSearch $version"
  mvn -B -q package -DskipTests -Dopensearch.version="$version" -Dbuild.dir="$PWD/target/os-$version"
  # a hard link, not a second copy of 265 MB
  ln -f target/os-"$version"/instruct-embed-*+os"$version".zip target/zips/
done
ls -l target/zips
