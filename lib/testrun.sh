# Usage: source "<repo>/lib/testrun.sh"   (sourced, never executed; used by `./appliance test`)
# shellcheck shell=bash
#
# Counting helpers of the test runner, kept apart so that bats can test them.
#
#   trx_counts FILE         print "PASSED FAILED" from a TRX file's <Counters .../> element;
#                           failed = failed + error + timeout + aborted; returns 1 without Counters
#   tap_counts FILE         print "PASSED FAILED SKIPPED" from TAP output ("ok", "not ok", "# skip")
#   build_warnings FILE     print the distinct compiler/linker/MSBuild warning lines of a dotnet build or publish
#                           log ("warning CS1234", "Trim analysis warning IL2026", "warning NETSDK1179", ...);
#                           true when there is at least one (the publish step fails on the first warning)
#   is_shell_script FILE    true for *.sh / *.bash, or a file whose first line is a sh/bash shebang;
#                           *.bats files are excluded
#   list_shell_scripts DIR  print the shell scripts under DIR (relative, sorted), skipping .git,
#                           .state, artifacts, node_modules, bin and obj; extensionless files and
#                           anything under lib/ proxmox/ provisioning/ backup/ are shebang-checked
#
# Return codes: 0 ok / true; 1 unreadable input or no <Counters> (trx_counts), false (is_shell_script,
# build_warnings).

if [[ -n "${_APPLIANCE_TESTRUN_SH:-}" ]]; then
  return 0
fi
_APPLIANCE_TESTRUN_SH=1

_xml_attr() {
  local element=$1 name=$2
  # The leading space keeps "passed" from matching "passedButRunAborted".
  if [[ "$element" =~ [[:space:]]${name}=\"([0-9]+)\" ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  else
    printf '0\n'
  fi
}

trx_counts() {
  local file=${1:?trx_counts FILE} element
  [[ -r "$file" ]] || return 1
  element=$(tr '\n' ' ' <"$file" | grep -o '<Counters [^>]*>' | head -n 1) || return 1
  [[ -n "$element" ]] || return 1
  local passed failed error timeout aborted
  passed=$(_xml_attr "$element" passed)
  failed=$(_xml_attr "$element" failed)
  error=$(_xml_attr "$element" error)
  timeout=$(_xml_attr "$element" timeout)
  aborted=$(_xml_attr "$element" aborted)
  printf '%d %d\n' "$passed" "$((failed + error + timeout + aborted))"
}

tap_counts() {
  local file=${1:?tap_counts FILE} line passed=0 failed=0 skipped=0
  [[ -r "$file" ]] || return 1
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^not\ ok ]]; then
      failed=$((failed + 1))
    elif [[ "$line" =~ ^ok\  ]]; then
      if [[ "$line" =~ \#\ *[Ss][Kk][Ii][Pp] ]]; then
        skipped=$((skipped + 1))
      else
        passed=$((passed + 1))
      fi
    fi
  done <"$file"
  printf '%d %d %d\n' "$passed" "$failed" "$skipped"
}

build_warnings() {
  local file=${1:?build_warnings FILE} found
  [[ -r "$file" ]] || return 1
  # MSBuild prints each warning again in its summary: -u keeps one of each.
  found=$(grep -E '(^|[[:space:]:])warning [A-Z]{2,}[0-9]+' -- "$file" | sed 's/^[[:space:]]*//' | LC_ALL=C sort -u) || true
  [[ -n "$found" ]] || return 1
  printf '%s\n' "$found"
}

is_shell_script() {
  local file=${1:?is_shell_script FILE} first=''
  [[ -f "$file" ]] || return 1
  case "$file" in
    *.bats) return 1 ;;
    *.sh | *.bash) return 0 ;;
  esac
  IFS= read -r -n 200 first <"$file" 2>/dev/null || [[ -n "$first" ]] || return 1
  [[ "$first" =~ ^#!\ *(/usr/bin/env\ +|/usr/bin/|/bin/)(ba|da)?sh([[:space:]]|$) ]]
}

list_shell_scripts() {
  local dir=${1:?list_shell_scripts DIR} rel name
  (
    cd -- "$dir" || exit 1
    find . \( -name .git -o -name .state -o -name artifacts -o -name node_modules -o -name bin -o -name obj \) -prune \
      -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
      while IFS= read -r rel; do
        name=${rel##*/}
        case "$rel" in
          *.bats) continue ;;
          *.sh | *.bash) printf '%s\n' "$rel"; continue ;;
          lib/* | proxmox/* | provisioning/* | backup/*) ;;
          *) [[ "$name" == *.* && "$name" != .* ]] && continue ;;
        esac
        if is_shell_script "$rel"; then
          printf '%s\n' "$rel"
        fi
      done
  )
  return 0
}
