#!/usr/bin/env bash
# Builds the Kafka Streams benchmark app with Maven (from Maven Central) into
# $KSETL_CACHE/kstreams-bench-<hash>/ — keyed by the pom's and the sources'
# content, so an unchanged checkout builds once — and prints the Java
# classpath to run it with (classes + resolved jars). Needs Java 17+ and Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
hash="$(cd "$here" && cat pom.xml $(find src -type f | sort) | sha256sum | cut -c1-12)"
dir="${KSETL_CACHE:-$HOME/.cache/ksetl}/kstreams-bench-$hash"
if [ ! -s "$dir/classpath.txt" ] || [ ! -d "$dir/target/classes/dev" ]; then
  command -v mvn >/dev/null || { echo "build.sh: mvn not found" >&2; exit 1; }
  mkdir -p "$dir"
  echo "build.sh: building the Kafka Streams benchmark into $dir ..." >&2
  if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" -DbuildDirectory="$dir/target" \
      compile dependency:build-classpath -Dmdep.outputFile="$dir/deps.txt" > "$dir/mvn.log" 2>&1; then
    cat "$dir/mvn.log" >&2
    exit 1
  fi
  echo "$dir/target/classes:$(cat "$dir/deps.txt")" > "$dir/classpath.txt"
  # earlier builds of other source versions
  for old in "$(dirname "$dir")"/kstreams-bench-*; do [ "$old" = "$dir" ] || rm -rf "$old"; done
fi
cat "$dir/classpath.txt"
