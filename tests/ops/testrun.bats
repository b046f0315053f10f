#!/usr/bin/env bats
# Usage: bats tests/ops/testrun.bats   (part of `./appliance test`; exit 0 all ok, 1 a test failed)
#
# lib/testrun.sh: how `./appliance test` counts (TRX, TAP) and which files it shellchecks.

bats_require_minimum_version 1.5.0

setup() {
  load test_helper
}

@test "trx_counts reads passed and sums failed, error, timeout and aborted" {
  cat >"$BATS_TEST_TMPDIR/a.trx" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<TestRun id="x" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
  <ResultSummary outcome="Failed">
    <Counters total="12" executed="11" passed="7" failed="2" error="1" timeout="1" aborted="0"
      inconclusive="0" passedButRunAborted="9" notRunnable="0" notExecuted="1" disconnected="0"
      warning="0" completed="0" inProgress="0" pending="0" />
  </ResultSummary>
</TestRun>
XML
  run -0 lib_call trx_counts "$BATS_TEST_TMPDIR/a.trx"
  [ "$output" = "7 4" ]
}

@test "trx_counts fails for a file without Counters or no file" {
  printf '<TestRun/>\n' >"$BATS_TEST_TMPDIR/b.trx"
  run -1 lib_call trx_counts "$BATS_TEST_TMPDIR/b.trx"
  run -1 lib_call trx_counts "$BATS_TEST_TMPDIR/missing.trx"
}

@test "tap_counts counts ok, not ok and skips" {
  printf '1..5\nok 1 a\nnot ok 2 b\n# detail\nok 3 c # skip no redis\nok 4 d\nnot ok 5 e\n' >"$BATS_TEST_TMPDIR/t.tap"
  run -0 lib_call tap_counts "$BATS_TEST_TMPDIR/t.tap"
  [ "$output" = "2 2 1" ]
}

@test "list_shell_scripts finds .sh, shebang scripts and ops dirs, but not .bats or build output" {
  d="$BATS_TEST_TMPDIR/repo"
  mkdir -p "$d/lib" "$d/.ci" "$d/backup" "$d/src/x/bin" "$d/.state" "$d/tests/ops" "$d/docs"
  printf '# shellcheck shell=bash\n' >"$d/lib/common.sh"
  printf '#!/usr/bin/env bash\n' >"$d/appliance"
  printf '#!/bin/bash\n' >"$d/.ci/run"
  printf '#!/usr/bin/env bash\n' >"$d/backup/gfs-backup"
  printf '#!/bin/sh\n' >"$d/backup/hook.py.in"
  printf '#!/usr/bin/env python3\n' >"$d/backup/restore-check"
  printf '#!/usr/bin/env bash\n' >"$d/src/x/bin/generated.sh"
  printf '#!/usr/bin/env bash\n' >"$d/.state/tool.sh"
  printf '#!/usr/bin/env bats\n' >"$d/tests/ops/a.bats"
  printf 'helper\n' >"$d/tests/ops/test_helper.bash"
  printf '#!/usr/bin/env bash\n' >"$d/docs/example.md"
  printf 'no shebang\n' >"$d/README"
  run -0 lib_call list_shell_scripts "$d"
  [ "$output" = "$(printf '%s\n' .ci/run appliance backup/gfs-backup backup/hook.py.in lib/common.sh tests/ops/test_helper.bash)" ]
}

@test "is_shell_script knows shebangs" {
  printf '#!/usr/bin/env bash\nx\n' >"$BATS_TEST_TMPDIR/a"
  printf '#!/usr/bin/env node\n' >"$BATS_TEST_TMPDIR/b"
  printf '#!/usr/bin/env bashful\n' >"$BATS_TEST_TMPDIR/c"
  run -0 lib_call is_shell_script "$BATS_TEST_TMPDIR/a"
  run -1 lib_call is_shell_script "$BATS_TEST_TMPDIR/b"
  run -1 lib_call is_shell_script "$BATS_TEST_TMPDIR/c"
  run -1 lib_call is_shell_script "$BATS_TEST_TMPDIR/missing"
}

@test "build_warnings finds compiler, ILC and MSBuild warnings once each, and nothing in a clean log" {
  cat >"$BATS_TEST_TMPDIR/warn.log" <<'LOG'
  Determining projects to restore...
/src/A/Program.cs(3,9): warning CS0168: The variable 'x' is declared but never used [/src/A/A.csproj]
  Generating native code
ILC : Trim analysis warning IL2057: Program.<Main>$(String[]): Unrecognized value passed to the parameter 'typeName' [/src/A/A.csproj]
/usr/share/dotnet/sdk/Microsoft.Common.targets(2433,5): warning MSB3277: Found conflicts [/src/A/A.csproj]
Build succeeded.
/src/A/Program.cs(3,9): warning CS0168: The variable 'x' is declared but never used [/src/A/A.csproj]
    3 Warning(s)
    0 Error(s)
LOG
  run -0 lib_call build_warnings "$BATS_TEST_TMPDIR/warn.log"
  [ "${#lines[@]}" -eq 3 ]
  [[ "$output" == *"warning CS0168"* ]]
  [[ "$output" == *"Trim analysis warning IL2057"* ]]
  [[ "$output" == *"warning MSB3277"* ]]
  printf '  Appliance.Api -> /x/\n    0 Warning(s)\n    0 Error(s)\nwarnings are fine in prose\n' >"$BATS_TEST_TMPDIR/clean.log"
  run -1 lib_call build_warnings "$BATS_TEST_TMPDIR/clean.log"
  [ -z "$output" ]
  run -1 lib_call build_warnings "$BATS_TEST_TMPDIR/missing.log"
}
