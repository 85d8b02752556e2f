# Shared helpers for the shell tests of the `eml` command (sourced, not run).
# Provides: $work (a temporary directory removed on exit), fail MESSAGE,
# expect STATUS PATTERN -- COMMAND... (exit status and a regex on
# stdout+stderr), and finish NAME (prints the summary; exits 1 on failures).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

expect() {
  local want_rc="$1" pattern="$2"
  shift 3
  local out rc
  out="$("$@" 2>&1)"
  rc=$?
  [[ "$rc" == "$want_rc" ]] || fail "'$*' exited $rc, want $want_rc: $out"
  [[ "$out" =~ $pattern ]] || fail "'$*' output lacks /$pattern/: $out"
}

finish() {
  if ((failures)); then
    echo "$1: $failures failure(s)" >&2
    exit 1
  fi
  echo "$1: all checks passed"
}
