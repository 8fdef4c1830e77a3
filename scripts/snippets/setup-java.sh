#!/usr/bin/env bash
# Compiles snippets/java (com.nimbusds:oauth2-oidc-sdk) into the cache and copies its dependencies beside it,
# then prints the classpath. Needs Java 17+, Maven and Maven Central (artifacts go to Maven's ~/.m2).
set -Eeuo pipefail
lang=java
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

src="${root}/snippets/java"
dest="${cache_root}/snippets/java/$(key "${src}/pom.xml" "${src}/src/main/java/example/GetToken.java" "${src}/src/main/java/example/VerifyToken.java" "${src}/src/main/java/example/OpenIdMetadata.java" "${src}/src/main/java/example/VerifyIdToken.java")"
classpath="${dest}/classes:${dest}/dependency/*"
if [[ -f "${dest}/.complete" ]]; then
  echo "${classpath}"
  exit 0
fi

command -v java >/dev/null 2>&1 ||
  fail "java is not installed or not on PATH: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)."
command -v mvn >/dev/null 2>&1 ||
  fail "mvn is not installed or not on PATH: install Maven 3.6.3 or newer (Debian: apt-get install maven)."
feature="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "${feature%%.*}" -ge 17 ]] 2>/dev/null ||
  fail "Java ${feature:-unknown} is too old: install a JDK 17 or newer."

locked "${dest}"
if [[ ! -f "${dest}/.complete" ]]; then
  log "compiling ${src} into ${dest}"
  mvn --batch-mode --quiet -Dstyle.color=never -f "${src}/pom.xml" -Dbuild.dir="${dest}" \
    compile dependency:copy-dependencies >&2
  touch "${dest}/.complete"
fi
echo "${classpath}"
