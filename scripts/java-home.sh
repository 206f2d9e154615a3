# Sourced by the other scripts: points JAVA_HOME at a JDK 21 or newer, which OpenSearch 3 needs.
# Keeps the caller's JAVA_HOME when it is new enough; otherwise looks in the usual install folders
# (Debian's /usr/lib/jvm holds the default JDK 17 next to newer ones such as Temurin 25).

_ie_java_major() {
  "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1") ? v[2] : v[1]; exit }'
}

_ie_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* 2>/dev/null | sort -rV); do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(_ie_java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! JAVA_HOME=$(_ie_find_jdk); then
  echo "instruct-embed: no JDK 21 or newer found (JAVA_HOME=${JAVA_HOME:-unset}). Install one (e.g. Temurin 25) and set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# DJL would otherwise call the EC2 metadata address; nothing here may leave loopback.
export OPT_OUT_TRACKING=true
