# Shared by start-bus, stop-bus and keyring-ctl. Sourced, not run.
#
# Layout of a fixture directory DIR:
#   DIR/.keyring-fixture        marker: stop-bus --remove deletes only such directories
#   DIR/{home,data,config,cache,runtime}   HOME and the XDG directories (runtime is mode 700)
#   DIR/runtime/bus             the bus socket
#   DIR/bus.pid DIR/keyring.pid DIR/watch.pid   what we started, by PID
#   DIR/keyring.options         which server, and how it was started (for keyring-ctl restart)
#   DIR/server.prepared         marker: the server's stores are made (servers.sh)
#   DIR/tmp                     the server's TMPDIR
#   DIR/env                     KEY=value lines for clients, written last
#   DIR/bus.log DIR/keyring.log DIR/start.log
#
# Every process we start carries KEYRING_FIXTURE_DIR=DIR in its initial environment;
# stop-bus and keyring-ctl signal a PID only when /proc/PID/environ still says so, so a
# reused PID is never killed.

fixtures_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
secrets_name=org.freedesktop.secrets
# shellcheck source=servers.sh
. "$fixtures_dir/servers.sh"

# Milliseconds since the epoch, in $now_ms (no fork).
now() {
    local t=${EPOCHREALTIME/[.,]/}
    now_ms=$((10#$t / 1000))
}

# Normalise and check DIR; sets $dir. The same directory always gives the same string (it is
# compared with /proc/PID/environ), whether named relatively, with a trailing / or via a symlink.
set_dir() {
    [ -n "${1:-}" ] || { echo "${0##*/}: missing DIR" >&2; exit 2; }
    dir=$(realpath -m -- "$1")
    # Keeps env lines sourceable unquoted and the bus address free of escapes.
    if [[ ! $dir =~ ^[A-Za-z0-9._/+-]+$ ]]; then
        echo "${0##*/}: DIR must contain only letters, digits and . _ / + - (got '$dir')" >&2
        exit 2
    fi
}

# True when PID is alive and not a zombie.
is_alive() {
    local pid=$1 state
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    { state=$(< "/proc/$pid/stat"); } 2>/dev/null || return 1
    state=${state##*) }
    [ "${state%% *}" != Z ]
}

# True when PID is alive and was started for $dir (so it is not a reused PID).
is_ours() {
    local -a vars=()
    local v
    is_alive "$1" || return 1
    { mapfile -d '' -t vars < "/proc/$1/environ"; } 2>/dev/null || return 1
    for v in "${vars[@]}"; do
        [ "$v" != "KEYRING_FIXTURE_DIR=$dir" ] || return 0
    done
    return 1
}

# Waits until PID is gone (or a zombie), at most $2 ms. Returns 1 on timeout.
wait_gone() {
    local pid=$1 deadline
    now; deadline=$((now_ms + $2))
    while is_ours "$pid"; do
        now; [ "$now_ms" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}

# Stops PID if it is ours: TERM, then KILL after $2 ms (default 3000). Quiet when already gone.
stop_pid() {
    local pid=$1 grace=${2:-3000} what=$3
    is_ours "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$grace"; then
        echo "${0##*/}: $what (pid $pid) ignored TERM for ${grace} ms; sending KILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 2000 || { echo "${0##*/}: $what (pid $pid) survived KILL" >&2; return 1; }
    fi
}

read_pid() { [ -r "$dir/$1.pid" ] && cat "$dir/$1.pid" || true; }

# PID of the process owning $secrets_name on the bus, or nothing.
secrets_owner_pid() {
    dbus-send --bus="$address" --reply-timeout=1000 --print-reply=literal \
        --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.GetConnectionUnixProcessID "string:$secrets_name" 2>/dev/null |
        awk '{ print $NF }' || true
}

# Last lines of a log, indented, for failure messages.
log_tail() {
    local f=$dir/$1
    if [ -s "$f" ]; then
        echo "--- last lines of $f:"
        tail -n "${2:-20}" "$f" | sed 's/^/    /'
    else
        echo "--- $f is empty"
    fi
}

# Starts the server named in DIR/keyring.options (gnome-keyring unless told otherwise; the
# others are in servers.sh) on $address, then waits (at most $timeout_ms) until it, and not
# another process, owns org.freedesktop.secrets, and until it serves. Sets $keyring_pid. On
# failure prints why to stderr and returns 1 (the server is stopped).
start_keyring() {
    local password='' prompter='' locked=0 server=gnome-keyring
    # shellcheck source=/dev/null
    . "$dir/keyring.options"
    mkdir -p "$dir/tmp"
    local -a server_env=(
        KEYRING_FIXTURE_DIR="$dir"
        PATH="$PATH"
        LANG=C.UTF-8
        HOME="$dir/home"
        XDG_DATA_HOME="$dir/data"
        XDG_CONFIG_HOME="$dir/config"
        XDG_CACHE_HOME="$dir/cache"
        XDG_RUNTIME_DIR="$dir/runtime"
        TMPDIR="$dir/tmp"
        DBUS_SESSION_BUS_ADDRESS="$address"
    )
    [ -z "$prompter" ] || server_env+=(GNOME_KEYRING_TEST_PROMPTER="$prompter")

    local started deadline owner=''
    now; started=$now_ms; deadline=$((now_ms + timeout_ms))
    if [ "$server" = gnome-keyring ]; then
        echo "=== $(date '+%F %T') starting gnome-keyring-daemon (locked=$locked prompter=${prompter:-none})" >> "$dir/keyring.log"
        if [ "$locked" = 1 ]; then
            env -i "${server_env[@]}" gnome-keyring-daemon --components=secrets --foreground \
                < /dev/null >> "$dir/keyring.log" 2>&1 &
        else
            # printf is a builtin: the password never appears in a process's argv.
            printf '%s' "$password" | env -i "${server_env[@]}" gnome-keyring-daemon --unlock \
                --components=secrets --foreground >> "$dir/keyring.log" 2>&1 &
        fi
        keyring_pid=$!
    else
        if ! [ -e "$dir/server.prepared" ]; then
            echo "=== $(date '+%F %T') preparing $server" >> "$dir/keyring.log"
            if ! "server_prepare_$server"; then
                { echo "${0##*/}: preparing $server failed"; log_tail keyring.log; } >&2
                return 1
            fi
            : > "$dir/server.prepared"
            now; echo "$server prepared after $((now_ms - started)) ms" >> "$dir/start.log"
        fi
        echo "=== $(date '+%F %T') starting $server" >> "$dir/keyring.log"
        "server_launch_$server"
    fi
    echo "$keyring_pid" > "$dir/keyring.pid"
    # kwalletd5 and the others now and then never take the name (seen about once in 50 starts
    # on a busy machine): such a start is stopped and made again, up to 3 times within the
    # deadline. gnome-keyring takes it in milliseconds or fails outright.
    local attempts=1 attempt_deadline=$((now_ms + 10000))

    # Race 1: --daemonize would return before the name is owned; we run --foreground in the
    # background and wait for the name. Race 2: the bus has no activation, so nothing else can be
    # started for the name; still, check that the owner is our daemon (not one about to exit).
    while :; do
        owner=$(secrets_owner_pid)
        [ "$owner" != "$keyring_pid" ] || break
        # Our unreaped child: its PID cannot have been reused, so no environ check here.
        if ! is_alive "$keyring_pid"; then
            local status=0
            wait "$keyring_pid" 2>/dev/null || status=$?
            { echo "${0##*/}: $server (pid $keyring_pid) exited with status $status before owning $secrets_name"
              log_tail keyring.log; } >&2
            return 1
        fi
        now
        if [ "$server" != gnome-keyring ] && [ "$attempts" -lt 3 ] && [ "$now_ms" -ge "$attempt_deadline" ] &&
            [ "$now_ms" -lt "$deadline" ]; then
            echo "=== $(date '+%F %T') $server (pid $keyring_pid) did not own $secrets_name in 10 s: starting it again" \
                >> "$dir/keyring.log"
            stop_server "$keyring_pid" 1000
            "server_launch_$server"
            echo "$keyring_pid" > "$dir/keyring.pid"
            attempts=$((attempts + 1))
            now; attempt_deadline=$((now_ms + 10000))
            continue
        fi
        if [ "$now_ms" -ge "$deadline" ]; then
            { echo "${0##*/}: $server (pid $keyring_pid) did not own $secrets_name within $timeout_ms ms${owner:+ (owned by pid $owner instead)}"
              log_tail keyring.log; } >&2
            stop_server "$keyring_pid" 1000
            return 1
        fi
        sleep 0.01
    done
    now
    echo "$server (pid $keyring_pid) owns $secrets_name after $((now_ms - started)) ms" >> "$dir/start.log"
    if declare -F "server_ready_$server" > /dev/null; then
        if ! "server_ready_$server"; then
            { echo "${0##*/}: $server (pid $keyring_pid) owns $secrets_name but is not ready"; log_tail keyring.log; } >&2
            stop_server "$keyring_pid" 1000
            return 1
        fi
        now
        echo "$server ready after $((now_ms - started)) ms" >> "$dir/start.log"
    fi
}

# The server DIR/keyring.options names (gnome-keyring when there is none).
fixture_server() {
    local password='' prompter='' locked=0 server=gnome-keyring
    # shellcheck source=/dev/null
    [ ! -r "$dir/keyring.options" ] || . "$dir/keyring.options"
    echo "$server"
}

# Stops the server with PID $1 (TERM, then KILL after $2 ms), and what it left behind.
stop_server() {
    local server status=0
    server=$(fixture_server)
    if is_ours "$1" && declare -F "server_stopping_$server" > /dev/null; then "server_stopping_$server"; fi
    stop_pid "$1" "${2:-3000}" "$server" || status=1
    if declare -F "server_stop_$server" > /dev/null; then "server_stop_$server" || status=1; fi
    return "$status"
}

# Writes DIR/env atomically and prints it.
write_env() {
    local keyring_pid=${1:-}
    {
        echo "DBUS_SESSION_BUS_ADDRESS=$address"
        echo "HOME=$dir/home"
        echo "XDG_DATA_HOME=$dir/data"
        echo "XDG_CONFIG_HOME=$dir/config"
        echo "XDG_CACHE_HOME=$dir/cache"
        echo "XDG_RUNTIME_DIR=$dir/runtime"
        echo "DBUS_PID=$(read_pid bus)"
        echo "KEYRING_PID=$keyring_pid"
    } > "$dir/env.tmp"
    mv -f "$dir/env.tmp" "$dir/env"
    cat "$dir/env"
}

require_commands() {
    local missing=() c
    for c in "$@"; do command -v "$c" > /dev/null || missing+=("$c"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "${0##*/}: not installed: ${missing[*]} (run scripts/install-deps)" >&2
        exit 1
    fi
}
