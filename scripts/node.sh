#!/usr/bin/env bash
# Installs and runs a real single OpenSearch node with the k-NN plugin and instruct-embed.
#
#   node.sh install DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP   unpack OpenSearch into DIR and install both plugins
#   node.sh start DIR HTTP_PORTS TRANSPORT_PORTS      start it on 127.0.0.1 (ports: "9200" or "9400-9499")
#   node.sh start-test DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]
#                                                      install + start on free ports, then write
#                                                      DIR/cluster.properties for the integration tests
#                                                      (the node's address and its log file); the pack
#                                                      folders in each USER_PACKS folder are copied to
#                                                      config/instruct-embed/packs (other files, such as
#                                                      the pack zips next to them, are not)
#   node.sh start-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS]
#                                                      two nodes (DIR/node-1, DIR/node-2) in one cluster on
#                                                      free loopback ports (HTTP 9700-9799, transport
#                                                      9600-9699), node-2 seeded with node-1's actual
#                                                      transport port; writes DIR/cluster.properties
#   node.sh start-secured-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP SECURITY_ZIP
#                                                      a prepared cluster (below) with the security plugin
#                                                      and its demo configuration (TLS on HTTP and
#                                                      transport, internal users; admin password
#                                                      SECURED_ADMIN_PASSWORD) on every member: starts
#                                                      node-1 (cluster_manager, data, ingest) and node-2
#                                                      (data, ingest, embedding: the one serving node);
#                                                      writes DIR/cluster.properties with both HTTP
#                                                      addresses, each member's address by name, the demo
#                                                      root CA and the admin password
#   node.sh prepare-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]
#                                                      a cluster whose members tests start, stop and
#                                                      restart one by one: installs once into
#                                                      DIR/template (with the user packs, as start-test)
#                                                      and names the cluster after DIR; an old DIR is
#                                                      stopped and removed first. With SECURITY_ZIP set,
#                                                      the template gets the security plugin and its demo
#                                                      configuration too (one set of demo certificates,
#                                                      so members trust each other on the transport), and
#                                                      start-member talks HTTPS to its members
#   node.sh add-template DIR NAME DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]
#                                                      a second installation in a prepared cluster, in
#                                                      DIR/template-NAME (another OpenSearch version, say,
#                                                      for a mixed-version cluster); members start from it
#                                                      with MEMBER_TEMPLATE=NAME
#   node.sh start-member DIR NAME                      start member DIR/NAME (a copy of the template; a
#                                                      restart when it exists: same node id and data,
#                                                      its opensearch.yml written anew) on free loopback
#                                                      ports (HTTP 9700-9799, transport 9600-9699, its
#                                                      previous ones when free) and wait until it has
#                                                      joined; writes DIR/NAME/http.port. The first
#                                                      member started bootstraps the cluster, alone;
#                                                      every later one is seeded with its transport port
#   node.sh stop-member DIR NAME                       stop that member (its data stays for a restart)
#   node.sh stop DIR                                   stop it (or every node of a cluster)
#
# NODE_SETTINGS: extra opensearch.yml lines for `start` and `start-member` (e.g.
# "instruct_embed.onnx.intra_op_threads: 2", or "node.roles: [data, ingest]").
# MEMBER_PACKS (start-member): a folder whose sub-folders are packs, copied over the template's in
# that member's config/instruct-embed/packs, so that one member can hold other files under a pack id
# (they stay for its restarts). MEMBER_TEMPLATE (start-member): the name of a template that
# add-template installed, to copy a new member from instead of DIR/template; a member keeps the
# installation of its first start, and a restart that names another template fails. Members have a heap of 512 MB unless OPENSEARCH_JAVA_OPTS says otherwise.
# Roles are the caller's: make only the first member cluster-manager-eligible, so that stopping any
# other never costs the cluster its quorum (the first one is the cluster: stopping it stops the cluster
# until it is back). Each member logs to DIR/NAME/opensearch/logs/<cluster name>.log (DIR/cluster.name).
# As root the node runs as an unprivileged user (OpenSearch refuses root); DIR is handed to that user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=java-home.sh
. "$here/java-home.sh"

die() { echo "node.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "needs '$1' on the PATH ($2)"; }

home_of() { echo "$1/opensearch"; }

unpack_zip() {  # zip, destination
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$1" -d "$2"
  else  # the JDK's jar tool unpacks too, but loses the executable bits
    (cd "$2" && "$JAVA_HOME/bin/jar" xf "$1")
    chmod +x "$2"/*/bin/* 2>/dev/null || true
  fi
}

# The integ-test-zip distributions of OpenSearch 3.2.0 to 3.4.0 on Maven Central carry only the
# transport modules (3.5.0's and 3.6.0's carry all of them), but k-NN extends lang-painless. Full
# distributions ship that module; here it is put together from its published jars, which the build
# copies into a lang-painless/ folder next to the distribution zip (pom.xml, fetch-lang-painless).
add_lang_painless() {  # home, folder of the module's jars
  local home=$1 jars=$2 version
  [ -d "$home/modules/lang-painless" ] && return 0
  [ -d "$jars" ] || die "$home has no lang-painless module, which k-NN needs, and there is no $jars to build it from"
  version=$(ls "$home/lib" | sed -n 's/^opensearch-\([0-9][0-9.]*\)\.jar$/\1/p' | head -1)
  [ -f "$jars/lang-painless-$version.jar" ] || die "no lang-painless-$version.jar in $jars"
  mkdir -p "$home/modules/lang-painless"
  cp "$jars"/*.jar "$home/modules/lang-painless/"
  cat >"$home/modules/lang-painless/plugin-descriptor.properties" <<DESC
description=An easy, safe and fast scripting language for OpenSearch
version=$version
name=lang-painless
classname=org.opensearch.painless.PainlessModulePlugin
java.version=21
opensearch.version=$version
extended.plugins=
has.native.controller=false
DESC
  cat >"$home/modules/lang-painless/plugin-security.policy" <<'POLICY'
grant {
  // Painless compiles scripts into classes of its own loader
  permission java.lang.RuntimePermission "createClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
};
POLICY
}

install_node() {
  local dir=$1 dist=$2 knn=$3 plugin=$4
  for f in "$dist" "$knn" "$plugin"; do [ -f "$f" ] || die "missing $f"; done
  stop_node "$dir" 2>/dev/null || true
  rm -rf "$dir"
  mkdir -p "$dir/unpack"
  unpack_zip "$(readlink -f "$dist")" "$dir/unpack"
  mv "$dir"/unpack/opensearch-* "$(home_of "$dir")"
  rmdir "$dir/unpack"
  local home
  home=$(home_of "$dir")
  add_lang_painless "$home" "$(dirname "$(readlink -f "$dist")")/lang-painless"
  OPENSEARCH_JAVA_HOME=$JAVA_HOME "$home/bin/opensearch-plugin" install --batch "file://$(readlink -f "$knn")" >"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; die "installing k-NN failed"; }
  OPENSEARCH_JAVA_HOME=$JAVA_HOME "$home/bin/opensearch-plugin" install --batch "file://$(readlink -f "$plugin")" >>"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; die "installing instruct-embed failed"; }
  echo "installed OpenSearch with k-NN and instruct-embed into $home"
}

# GET PATH of the node on PORT, printing the answer. NODE_SCHEME (http or https) and NODE_CURL_ARGS
# (e.g. the CA and credentials of a secured node) say how to ask.
node_get() {  # PORT PATH
  # shellcheck disable=SC2086  # NODE_CURL_ARGS holds several arguments without spaces
  curl -fsS -m 5 ${NODE_CURL_ARGS:-} "${NODE_SCHEME:-http}://127.0.0.1:$1$2" 2>/dev/null
}

# Whether the node answers on PORT.
probe() { node_get "$1" / >/dev/null; }

# The security plugin 3.4.0.0 extends the `rule-framework` module, which full distributions ship but
# the integ-test-zip distribution (the one on Maven Central) lacks, and which is not published on
# its own. From that module the security plugin needs one thing at run time: the
# commons-collections4 jar its class loader provides (the privilege evaluator uses CollectionUtils).
# It uses the module itself only to offer principal attributes to workload-management's
# auto-tagging, an SPI that nothing calls without the module. So the copy installed here carries
# commons-collections4 (from Maven Central, next to the security zip) and marks rule-framework
# optional, as the plugin already does for workload-management. TLS, authentication and
# authorization are the plugin's own, untouched.
security_zip_for_test_node() {  # security zip, work folder -> prints the zip to install
  local zip=$1 work=$2 collections
  collections=$(ls "$(dirname "$zip")"/commons-collections4-*.jar 2>/dev/null | head -1)
  [ -n "$collections" ] || die "no commons-collections4 jar next to $zip"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$zip" "$work/opensearch-security.zip"
  cp "$collections" "$work/"
  (cd "$work" && "$JAVA_HOME/bin/jar" xf opensearch-security.zip plugin-descriptor.properties \
    && sed -i -E 's/^extended\.plugins=.*/extended.plugins=workload-management;optional=true,rule-framework;optional=true/' plugin-descriptor.properties \
    && "$JAVA_HOME/bin/jar" ufM opensearch-security.zip plugin-descriptor.properties "$(basename "$collections")" \
    && rm plugin-descriptor.properties "$(basename "$collections")") >&2 || die "could not prepare the security plugin zip"
  echo "$work/opensearch-security.zip"
}

install_security() {  # DIR SECURITY_ZIP: the plugin and its demo configuration
  local dir=$1 home security_zip
  home=$(home_of "$dir")
  security_zip=$(security_zip_for_test_node "$2" "$dir/security-zip")
  OPENSEARCH_JAVA_HOME=$JAVA_HOME "$home/bin/opensearch-plugin" install --batch "file://$security_zip" >>"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; die "installing the security plugin failed"; }
  # -y: no questions; -i: create the security index from the demo users and roles at first start;
  # -s: leave an already configured opensearch.yml alone. It writes demo certificates (root-ca.pem,
  # esnode.pem, kirk.pem) into config/ and appends the security settings to opensearch.yml.
  OPENSEARCH_INITIAL_ADMIN_PASSWORD=$SECURED_ADMIN_PASSWORD OPENSEARCH_JAVA_HOME=$JAVA_HOME \
    bash "$home/plugins/opensearch-security/tools/install_demo_configuration.sh" -y -i -s >>"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; die "the security demo configuration failed"; }
  # start_node rewrites opensearch.yml: keep the demo's settings for it
  grep -E '^[a-z]' "$home/config/opensearch.yml" >"$dir/security-settings.yml"
}

start_node() {
  local dir=$1 http_ports=$2 transport_ports=$3
  local home
  home=$(home_of "$dir")
  [ -x "$home/bin/opensearch" ] || die "no node installed in $dir"
  need curl "to wait for the node"
  cat >"$home/config/opensearch.yml" <<YML
# written by scripts/node.sh
cluster.name: ${CLUSTER_NAME:-instruct-embed}
network.host: 127.0.0.1
http.port: $http_ports
transport.port: $transport_ports
node.name: ${NODE_NAME:-node-1}
${DISCOVERY:-discovery.type: single-node}
node.portsfile: true
${NODE_SETTINGS:-}
YML
  rm -f "$home/logs/http.ports" "$home/logs/transport.ports"
  if [ "$(id -u)" = 0 ]; then
    "$here/unprivileged.sh" true  # creates the user
    chown -R "${INSTRUCT_EMBED_RUN_AS:-instruct-embed}:" "$dir"
  fi
  OPENSEARCH_JAVA_HOME=$JAVA_HOME OPENSEARCH_JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms1g -Xmx1g}" OPT_OUT_TRACKING=true \
    "$here/unprivileged.sh" "$home/bin/opensearch" -d -p "$home/opensearch.pid" >"$dir/start.log" 2>&1 \
    || { cat "$dir/start.log" >&2; die "OpenSearch did not start; see $home/logs/${CLUSTER_NAME:-instruct-embed}.log"; }
  local port="" i
  for i in $(seq 1 180); do
    if [ -s "$home/logs/http.ports" ]; then
      port=$(sed -n '1s/.*://p' "$home/logs/http.ports")
      if probe "$port"; then
        break
      fi
    fi
    if { [ -f "$home/opensearch.pid" ] && ! kill -0 "$(cat "$home/opensearch.pid")" 2>/dev/null; } \
      || { [ ! -f "$home/opensearch.pid" ] && ! pgrep -f "opensearch.path.home=$home" >/dev/null; }; then
      tail -50 "$home/logs/${CLUSTER_NAME:-instruct-embed}.log" >&2 || true
      die "OpenSearch exited during start; see $home/logs/${CLUSTER_NAME:-instruct-embed}.log"
    fi
    sleep 1
  done
  if ! probe "$port"; then
    tail -50 "$home/logs/${CLUSTER_NAME:-instruct-embed}.log" >&2 || true
    pkill -f "opensearch.path.home=$home" || true
    die "OpenSearch did not answer in 180 s"
  fi
  local transport
  transport=$(sed -n '1s/.*://p' "$home/logs/transport.ports")
  echo "$port" >"$dir/http.port"
  # tests.node.log: the node's log, which tests read to check what a request logged
  cat >"$dir/cluster.properties" <<PROPS
tests.rest.cluster=127.0.0.1:$port
tests.cluster=127.0.0.1:$transport
tests.clustername=${CLUSTER_NAME:-instruct-embed}
tests.node.log=$(cd "$home/logs" && pwd)/${CLUSTER_NAME:-instruct-embed}.log
PROPS

  echo "OpenSearch is up at ${NODE_SCHEME:-http}://127.0.0.1:$port (pid $(cat "$home/opensearch.pid"), logs in $home/logs)"
}

# The transport port a starting node has bound, printed once its ports file says (the node writes
# it at the end of its start). PID is the start's background job: no port once that has ended without.
bound_transport_port() {  # DIR PID
  local file port
  file="$(home_of "$1")/logs/transport.ports"
  while kill -0 "$2" 2>/dev/null; do
    port=$(sed -n '1s/.*://p' "$file" 2>/dev/null)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.5
  done
  port=$(sed -n '1s/.*://p' "$file" 2>/dev/null)
  [ -n "$port" ] && echo "$port"
}

stop_node() {
  local home pid i
  home=$(home_of "$1")
  if [ -f "$home/opensearch.pid" ]; then
    pid=$(cat "$home/opensearch.pid")
  else
    pid=$(pgrep -f "opensearch.path.home=$home" | head -1 || true)
    [ -n "$pid" ] || return 0
  fi
  if kill "$pid" 2>/dev/null; then
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "stopped OpenSearch (pid $pid)"
  fi
  rm -f "$home/opensearch.pid"
}

copy_user_packs() {  # node home, then folders whose sub-folders are packs
  local packs="$1/config/instruct-embed/packs" from pack
  shift
  mkdir -p "$packs"
  for from in "$@"; do
    for pack in "$from"/*/; do
      if [ -d "$pack" ]; then cp -r "$pack" "$packs/"; fi
    done
  done
}

# A cluster whose members tests start, stop and restart one by one. DIR holds template/ (the node
# every member is a copy of), cluster.name (a name of its own, from DIR, so that it can never join
# another build's cluster), first (the member that bootstrapped it), seed (that member's transport
# address, which every member reads through the file-based seed provider) and a folder per member.
cluster_name_of() { cat "$1/cluster.name" 2>/dev/null || die "$1 is not a prepared cluster (node.sh prepare-cluster)"; }

members_of() {  # DIR: the member folders, one a line
  local member
  for member in "$1"/*/; do
    member=${member%/}
    case "$(basename "$member")" in template|template-*) continue ;; esac
    if [ -d "$(home_of "$member")" ]; then echo "$member"; fi
  done
}

stop_members() {  # DIR: all at once, each stop waiting for its own node
  local member pids=() pid
  while read -r member; do
    stop_node "$member" &
    pids+=("$!")
  done < <(members_of "$1")
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

prepare_cluster() {  # DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]
  local dir=$1 f
  for f in "$2" "$3" "$4"; do [ -f "$f" ] || die "missing $f"; done
  if [ -d "$dir" ]; then stop_members "$dir"; fi
  rm -rf "$dir"
  install_node "$dir/template" "$2" "$3" "$4"
  if [ -n "${SECURITY_ZIP:-}" ]; then
    [ -f "$SECURITY_ZIP" ] || die "missing $SECURITY_ZIP"
    # the demo installer insists on a strong password (OpenSearch 2.12+); this one guards test nodes on loopback
    local SECURED_ADMIN_PASSWORD=${SECURED_ADMIN_PASSWORD:-Vq7tLm2-Instruct-Embed}
    install_security "$dir/template" "$SECURITY_ZIP"
    # start_member reads it to ask its secured members whether they are up (a test cluster on loopback)
    printf '%s\n' "$SECURED_ADMIN_PASSWORD" >"$dir/admin.password"
  fi
  copy_user_packs "$(home_of "$dir/template")" "${@:5}"
  echo "instruct-embed-serving-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)" >"$dir/cluster.name"
  echo "prepared cluster $(cat "$dir/cluster.name") in $dir (members start from $dir/template)"
}

add_template() {  # DIR NAME DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]
  local dir=$1 name=$2
  cluster_name_of "$dir" >/dev/null
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "a template's name is letters, digits, '.', '-' and '_': $name"
  install_node "$dir/template-$name" "$3" "$4" "$5"
  copy_user_packs "$(home_of "$dir/template-$name")" "${@:6}"
  echo "added template $name to cluster $(cat "$dir/cluster.name") (members start from it with MEMBER_TEMPLATE=$name)"
}

# Every member's seed file (config/unicast_hosts.txt, re-read at each discovery round) from DIR/seed,
# so that members already running find the first member again when it comes back on another port.
write_seeds() {  # DIR
  local member file
  while read -r member; do
    file="$(home_of "$member")/config/unicast_hosts.txt"
    cp "$1/seed" "$file.tmp" && mv "$file.tmp" "$file"
  done < <(members_of "$1")
}

# Whether the member on HTTP port PORT is in the cluster: _cat/nodes asks the cluster manager, so it
# fails while the member has none and lists the member once the manager has let it join.
member_joined() {  # PORT NAME
  node_get "$1" "/_cat/nodes?h=name&cluster_manager_timeout=2s" | awk '{ print $1 }' | grep -qxF "$2"
}

start_member() {  # DIR NAME
  local dir=$1 name=$2 member=$1/$2 cluster first home http transport log id
  cluster=$(cluster_name_of "$dir")
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] && [ "$name" != template ] && [[ $name != template-* ]] \
    || die "a member's name is letters, digits, '-' and '_' (and not 'template' or 'template-*'): $name"
  local template=${MEMBER_TEMPLATE:+template-$MEMBER_TEMPLATE}
  template=${template:-template}
  [ -d "$dir/$template" ] || die "no template ${MEMBER_TEMPLATE:-} in $dir (node.sh add-template)"
  home=$(home_of "$member")
  log="$home/logs/$cluster.log"
  first=$(cat "$dir/first" 2>/dev/null || true)
  if [ -n "$first" ] && [ "$first" != "$name" ] && [ ! -s "$dir/seed" ]; then
    die "the first member ($first) has not come up yet: start it alone, before any other"
  fi
  if [ -d "$member" ]; then
    if pgrep -f "opensearch.path.home=$home" >/dev/null; then die "member $name is running already (node.sh stop-member first)"; fi
    [ "$(cat "$member/template" 2>/dev/null || echo template)" = "$template" ] \
      || die "member $name was installed from $(cat "$member/template"), not $template: a member keeps its installation"
  else
    # the installation is shared through hard links (half a gigabyte a member, which nodes only
    # read); config/, which start_node and MEMBER_PACKS write, is each member's own copy
    cp -al "$dir/$template" "$member"
    rm -rf "$home/config"
    cp -a "$(home_of "$dir/$template")/config" "$home/config"
    echo "$template" >"$member/template"
  fi
  if [ -n "${MEMBER_PACKS:-}" ]; then
    [ -d "$MEMBER_PACKS" ] || die "MEMBER_PACKS is no folder: $MEMBER_PACKS"
    copy_user_packs "$home" "$MEMBER_PACKS"
  fi
  if [ -z "$first" ]; then
    echo "$name" >"$dir/first"
    first=$name
    : >"$dir/seed"
  fi
  cp "$dir/seed" "$home/config/unicast_hosts.txt"
  rm -f "$member/http.port"
  # a restart asks for its previous ports first: the cluster manager and the other members know it
  # there, and a test's REST client keeps a working address for it
  local http_ports=9700-9799 transport_ports=9600-9699 previous
  if [ -s "$member/ports" ]; then
    read -r previous _ <"$member/ports"; http_ports="$previous-9799"
    read -r _ previous <"$member/ports"; transport_ports="$previous-9699"
  fi
  local discovery="discovery.seed_hosts: []
discovery.seed_providers: file
cluster.initial_cluster_manager_nodes: [\"$first\"]"
  # a secured cluster (prepare-cluster with SECURITY_ZIP): each member gets the demo's settings
  # (start_node writes opensearch.yml anew), and every question to it goes over HTTPS as admin
  local settings=${NODE_SETTINGS:-} NODE_SCHEME=http NODE_CURL_ARGS=""
  if [ -f "$dir/admin.password" ]; then
    settings="$settings
$(cat "$dir/template/security-settings.yml")"
    NODE_SCHEME=https
    NODE_CURL_ARGS="--cacert $(home_of "$dir/template")/config/root-ca.pem -u admin:$(cat "$dir/admin.password")"
  fi
  CLUSTER_NAME=$cluster NODE_NAME=$name DISCOVERY=$discovery NODE_SETTINGS=$settings \
    OPENSEARCH_JAVA_OPTS="${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx512m}" \
    start_node "$member" "$http_ports" "$transport_ports"
  # start_node writes http.port once the node answers; here it means "has joined", so it comes later
  http=$(cat "$member/http.port")
  rm -f "$member/http.port"
  transport=$(sed -n '1s/.*://p' "$home/logs/transport.ports")
  echo "$http $transport" >"$member/ports"
  if [ "$name" = "$first" ]; then
    echo "127.0.0.1:$transport" >"$dir/seed"
    write_seeds "$dir"
  fi
  local deadline=$((SECONDS + ${MEMBER_JOIN_TIMEOUT:-90}))
  until member_joined "$http" "$name"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -40 "$log" >&2 || true
      stop_node "$member" >&2 || true
      die "member $name answered on port $http but did not join cluster $cluster in ${MEMBER_JOIN_TIMEOUT:-90} s (stopped it); see $log"
    fi
    sleep 1
  done
  echo "$http" >"$member/http.port"
  id=$(node_get "$http" "/_cat/nodes?h=name,id&full_id=true" | awk -v name="$name" '$1 == name { print $2 }' || true)
  echo "member $name of $cluster up at $NODE_SCHEME://127.0.0.1:$http (transport 127.0.0.1:$transport, node id ${id:-?}); log: $log"
}

stop_member() {  # DIR NAME
  [ -d "$1/$2" ] || die "no member $2 in $1"
  rm -f "$1/$2/http.port"
  stop_node "$1/$2"
}

cmd=${1:-}; shift || true
# OpenSearch resolves relative paths (the pid file) against its own home: use absolute ones.
if [ $# -gt 0 ]; then
  dir_arg=$(realpath -m "$1"); shift
  set -- "$dir_arg" "$@"
fi
case "$cmd" in
  install) [ $# -eq 4 ] || die "usage: node.sh install DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP"; install_node "$@" ;;
  start) [ $# -eq 3 ] || die "usage: node.sh start DIR HTTP_PORTS TRANSPORT_PORTS"; start_node "$@" ;;
  start-test)
    [ $# -ge 4 ] || die "usage: node.sh start-test DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]"
    install_node "$1" "$2" "$3" "$4"
    copy_user_packs "$(home_of "$1")" "${@:5}"
    start_node "$1" 9400-9499 9500-9599
    ;;
  start-cluster)
    [ $# -eq 4 ] || [ $# -eq 5 ] || die "usage: node.sh start-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS]"
    rm -rf "$1"
    install_node "$1/node-1" "$2" "$3" "$4"
    if [ $# -eq 5 ]; then
      mkdir -p "$(home_of "$1/node-1")/config/instruct-embed/packs"
      cp -r "$5"/. "$(home_of "$1/node-1")/config/instruct-embed/packs/"
    fi
    cp -a "$1/node-1" "$1/node-2"
    # Free ports, so that two builds on one machine do not collide: each node binds the first free
    # port of the ranges. The cluster is seeded only by its own node-1, under a name of its own
    # (from DIR), so that it can never join another build's cluster. Both nodes start at once;
    # node-2 reads its seed from a hosts file (re-read at every discovery round), written as soon
    # as node-1 has bound its transport port.
    cluster_name="instruct-embed-multi-$(printf '%s' "$1" | cksum | cut -d' ' -f1)"
    common=$'discovery.seed_hosts: []\ncluster.initial_cluster_manager_nodes: ["node-1"]'
    seeds="$(home_of "$1/node-2")/config/unicast_hosts.txt"
    : >"$seeds"
    CLUSTER_NAME=$cluster_name NODE_NAME=node-1 DISCOVERY=$common start_node "$1/node-1" 9700-9799 9600-9699 &
    first=$!
    CLUSTER_NAME=$cluster_name NODE_NAME=node-2 DISCOVERY=$common$'\ndiscovery.seed_providers: file' \
      start_node "$1/node-2" 9700-9799 9600-9699 &
    second=$!
    if transport1=$(bound_transport_port "$1/node-1" "$first"); then
      echo "127.0.0.1:$transport1" >"$seeds.tmp" && mv "$seeds.tmp" "$seeds"
    fi
    wait "$first" || { wait "$second" || true; die "node-1 did not start"; }
    wait "$second" || die "node-2 did not start"
    http1=$(cat "$1/node-1/http.port")
    http2=$(cat "$1/node-2/http.port")
    transport2=$(sed -n '1s/.*://p' "$(home_of "$1/node-2")/logs/transport.ports")
    for _ in $(seq 1 60); do
      if curl -fsS "http://127.0.0.1:$http1/_cluster/health?wait_for_nodes=2&timeout=1s" >/dev/null 2>&1; then
        break
      fi
      sleep 1
    done
    curl -fsS "http://127.0.0.1:$http1/_cluster/health?wait_for_nodes=2&timeout=5s" >/dev/null || die "the two nodes did not form a cluster"
    cat >"$1/cluster.properties" <<PROPS
tests.rest.cluster=127.0.0.1:$http1,127.0.0.1:$http2
tests.cluster=127.0.0.1:$transport1,127.0.0.1:$transport2
tests.clustername=$cluster_name
PROPS
    echo "two-node cluster $cluster_name up: http://127.0.0.1:$http1 and http://127.0.0.1:$http2"
    ;;
  prepare-cluster)
    [ $# -ge 4 ] || die "usage: node.sh prepare-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]"
    prepare_cluster "$@"
    ;;
  add-template)
    [ $# -ge 5 ] || die "usage: node.sh add-template DIR NAME DIST_ZIP KNN_ZIP PLUGIN_ZIP [USER_PACKS...]"
    add_template "$@"
    ;;
  start-member) [ $# -eq 2 ] || die "usage: node.sh start-member DIR NAME"; start_member "$@" ;;
  stop-member) [ $# -eq 2 ] || die "usage: node.sh stop-member DIR NAME"; stop_member "$@" ;;
  stop)
    [ $# -eq 1 ] || die "usage: node.sh stop DIR"
    if [ -f "$1/cluster.name" ]; then
      stop_members "$1"
    elif [ -d "$1/node-1" ]; then
      stop_node "$1/node-1"
      stop_node "$1/node-2"
    else
      stop_node "$1"
    fi
    ;;
  start-secured-cluster)
    [ $# -eq 5 ] || die "usage: node.sh start-secured-cluster DIR DIST_ZIP KNN_ZIP PLUGIN_ZIP SECURITY_ZIP"
    SECURITY_ZIP=$5 prepare_cluster "$1" "$2" "$3" "$4"
    # node-1 does not serve: a node with the role is in the cluster, so every embedding call made
    # through node-1 goes to node-2 over (TLS) transport; node-1 is the only cluster manager
    NODE_SETTINGS="node.roles: [cluster_manager, data, ingest]" start_member "$1" node-1
    NODE_SETTINGS="node.roles: [data, ingest, embedding]" start_member "$1" node-2
    read -r http1 transport1 <"$1/node-1/ports"
    read -r http2 transport2 <"$1/node-2/ports"
    cat >"$1/cluster.properties" <<PROPS
tests.rest.cluster=127.0.0.1:$http1,127.0.0.1:$http2
tests.cluster=127.0.0.1:$transport1,127.0.0.1:$transport2
tests.clustername=$(cluster_name_of "$1")
tests.secured.node-1=127.0.0.1:$http1
tests.secured.node-2=127.0.0.1:$http2
tests.secured.admin_password=$(cat "$1/admin.password")
tests.secured.ca=$(home_of "$1/template")/config/root-ca.pem
PROPS
    echo "secured two-node cluster $(cluster_name_of "$1") up: https://127.0.0.1:$http1 (node-1) and https://127.0.0.1:$http2 (node-2, serving)"
    ;;
  *) die "usage: node.sh install|start|start-test|start-cluster|start-secured-cluster|prepare-cluster|add-template|start-member|stop-member|stop ..." ;;
esac
