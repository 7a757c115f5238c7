# The Secret Service servers start-bus can run besides gnome-keyring. Sourced by common.sh.
#
# Each server NAME has
#   server_prepare_NAME   once per fixture DIR, before the first start: make its stores (wallets,
#                         databases, a gpg key) so that it starts without asking anyone anything
#   server_launch_NAME    start it in the background on $address with the environment in
#                         ${server_env[@]}; set $keyring_pid to the PID that will own the name
#   server_ready_NAME     (optional) after it owns org.freedesktop.secrets: wait until it serves
#   server_stopping_NAME  (optional) before its PID gets TERM: make it save (KWallet)
#   server_stop_NAME      (optional) after its PID is gone: stop what it left (gpg-agent)
# start_keyring (common.sh) runs them and waits, with the deadline, for the name.
#
# What each server is, and how it is run headless:
#
#   kwallet              kwalletd5 (KDE Frameworks 5, Debian's libkf5wallet-bin), Qt offscreen.
#                        Two wallets, `kdewallet` (alias default) and `second`, with the EMPTY
#                        password: kwalletd5 opens those without a dialog. They are made with
#                        kwalletd5's own pamOpen (what pam_kwallet calls; no dialog), and opened
#                        with it again after every start (kwalletd5 starts with them closed).
#                        Its Secret Service side lists only wallets that exist when it starts,
#                        so preparing starts it once, makes the wallets, and stops it.
#   keepassxc            KeePassXC (Debian's keepassxc), Qt offscreen. Two databases, ci.kdbx
#                        (collection `ci`) and second.kdbx (`second`), password "pw", given on
#                        stdin with --pw-stdin; each exposes its root group (keepassxc-expose.py).
#                        Secret Service integration on, no confirmation dialogs. The default
#                        alias follows the database opened last: `second`.
#   libsecret-mock       libsecret's test double (mock/service.py from Debian's libsecret source
#                        package; dbus-fixtures/fetch-libsecret-mock fetches it) through
#                        libsecret-mock.py: collections `default` (alias default) and `second`,
#                        in memory only.
#   pass-secret-service  pass-secret-service 0.1a0 (PyPI) over pass and GnuPG, from the venv
#                        scripts/python-venv makes (.build/pss-venv; it needs cryptography 2.4.2).
#                        A gpg key without passphrase; a collection `default collection`.

# The repository's build directory, where fetched and cached fixture material lives.
build_dir=$(realpath -m -- "$fixtures_dir/../.build")

# The directory holding libsecret's mock/ package.
libsecret_mock_dir() {
    echo "${KEYRING_LIBSECRET_MOCK:-$build_dir/libsecret-mock/libsecret-0.20.5/libsecret}"
}

# pass-secret-service's program, in the venv scripts/python-venv makes.
pss_program() {
    echo "${KEYRING_PSS_VENV:-$build_dir/pss-venv}/bin/pass_secret_service"
}

# What each server needs, for require_commands.
server_commands() {
    case "$1" in
        gnome-keyring) echo gnome-keyring-daemon ;;
        kwallet) echo kwalletd5 /usr/bin/python3 ;;
        keepassxc) echo keepassxc keepassxc-cli /usr/bin/python3 ;;
        libsecret-mock) echo /usr/bin/python3 ;;
        pass-secret-service) echo gpg gpgconf pass "$(pss_program)" ;;
    esac
}

# Checks that NAME is a server we know and that what it needs is there; exits 2 or 1 if not.
check_server() {
    case "$1" in
        gnome-keyring | kwallet | keepassxc | libsecret-mock | pass-secret-service) ;;
        *)
            echo "${0##*/}: unknown server '$1' (gnome-keyring, kwallet, keepassxc, libsecret-mock, pass-secret-service)" >&2
            exit 2
            ;;
    esac
    # shellcheck disable=SC2046
    require_commands $(server_commands "$1")
    if [ "$1" = libsecret-mock ] && ! [ -r "$(libsecret_mock_dir)/mock/service.py" ]; then
        echo "${0##*/}: libsecret's mock service is not in $(libsecret_mock_dir) (run scripts/install-deps)" >&2
        exit 1
    fi
}

# Waits (until $deadline, in ms) for a bus name to have an owner.
wait_name_owned() {
    local name=$1
    while ! dbus-send --bus="$address" --reply-timeout=1000 --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner "string:$name" 2> /dev/null | grep -q 'boolean true'; do
        now
        if [ "$now_ms" -ge "$deadline" ]; then
            echo "${0##*/}: $name had no owner within $timeout_ms ms" >&2
            return 1
        fi
        sleep 0.02
    done
}

# Copies the cached result of a preparation step into $dir, or makes it with the function
# $2 in a scratch directory and caches it. $1 names the cache entry; $3.. are the files.
# The cache (.build/fixture-cache) only saves time: without .build, every DIR makes its own.
with_cache() {
    local entry=$1 make=$2
    shift 2
    local cache=$build_dir/fixture-cache/$entry f
    if [ -d "$cache" ]; then
        for f in "$@"; do cp -a "$cache/$f" "$dir/$f" || return 1; done
        return 0
    fi
    "$make" || return 1
    if [ -d "$build_dir" ]; then
        local scratch
        scratch=$(mktemp -d "$build_dir/fixture-cache.XXXXXX") || return 0
        for f in "$@"; do cp -a "$dir/$f" "$scratch/" || { rm -rf "$scratch"; return 0; }; done
        mkdir -p "$build_dir/fixture-cache"
        mv -T "$scratch" "$cache" 2> /dev/null || rm -rf "$scratch"
    fi
}

# --- kwallet -------------------------------------------------------------------------------

kwallet_wallets="kdewallet second"

# Prints KWallet's key for the empty password of wallet $1 (PBKDF2-SHA512 over the wallet's
# salt file, 50000 rounds, 56 bytes: what kwalletd5 derives from a password) as dbus-send bytes,
# making the salt file first if there is none.
kwallet_key() {
    /usr/bin/python3 - "$dir/data/kwalletd/$1.salt" << 'PY'
import hashlib, os, sys
path = sys.argv[1]
if not os.path.exists(path):
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(os.urandom(56))
with open(path, "rb") as f:
    salt = f.read()
print(",".join(str(b) for b in hashlib.pbkdf2_hmac("sha512", b"", salt, 50000, 56)))
PY
}

# Opens (and on the first call creates) every wallet with pamOpen: no dialog.
kwallet_pam_open() {
    local w key
    for w in $kwallet_wallets; do
        key=$(kwallet_key "$w") || return 1
        dbus-send --bus="$address" --type=method_call --dest=org.kde.kwalletd5 /modules/kwalletd5 \
            org.kde.KWallet.pamOpen "string:$w" "array:byte:$key" int32:0 || return 1
    done
    # pamOpen has no reply: a call with one makes sure kwalletd5 has handled them.
    dbus-send --bus="$address" --reply-timeout=10000 --print-reply --dest=org.kde.kwalletd5 /modules/kwalletd5 \
        org.kde.KWallet.wallets > /dev/null
}

kwallet_start_process() {
    env -i "${server_env[@]}" QT_QPA_PLATFORM=offscreen kwalletd5 < /dev/null >> "$dir/keyring.log" 2>&1 &
    keyring_pid=$!
}

server_prepare_kwallet() {
    mkdir -p "$dir/data/kwalletd"
    cat > "$dir/config/kwalletrc" << 'CFG'
[Wallet]
First Use=false
Default Wallet=kdewallet
Enabled=true
[org.freedesktop.secrets]
apiEnabled=true
CFG
    kwallet_start_process
    echo "$keyring_pid" > "$dir/keyring.pid"
    wait_name_owned org.kde.kwalletd5 && kwallet_pam_open
    local status=$?
    stop_pid "$keyring_pid" 3000 kwalletd5
    [ "$status" = 0 ] || return 1
    local w
    for w in $kwallet_wallets; do
        [ -s "$dir/data/kwalletd/$w.kwl" ] || { echo "${0##*/}: kwalletd5 did not create wallet $w" >&2; return 1; }
    done
}

server_launch_kwallet() { kwallet_start_process; }

# kwalletd5 starts with every wallet closed, and its Secret Service side sees a wallet opened with
# pamOpen as locked still: unlock each collection as a client would (Unlock, then the prompt it
# returns, which completes without a dialog for an empty-password wallet), and wait until it is.
server_ready_kwallet() {
    kwallet_pam_open || return 1
    local w path prompt
    for w in $kwallet_wallets; do
        path=/org/freedesktop/secrets/collection/$w
        prompt=$(dbus-send --bus="$address" --reply-timeout=5000 --print-reply --dest="$secrets_name" \
            /org/freedesktop/secrets org.freedesktop.Secret.Service.Unlock "array:objpath:$path" |
            awk '/object path/ { p = $3 } END { gsub(/"/, "", p); print p }') || return 1
        if [ -n "$prompt" ] && [ "$prompt" != / ]; then
            dbus-send --bus="$address" --reply-timeout=5000 --print-reply --dest="$secrets_name" \
                "$prompt" org.freedesktop.Secret.Prompt.Prompt string: > /dev/null || return 1
        fi
        while ! dbus-send --bus="$address" --reply-timeout=1000 --print-reply --dest="$secrets_name" "$path" \
            org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2> /dev/null |
            grep -q 'boolean false'; do
            now
            if [ "$now_ms" -ge "$deadline" ]; then
                echo "${0##*/}: KWallet's collection $w was not unlocked within $timeout_ms ms" >&2
                return 1
            fi
            sleep 0.02
        done
    done
}

# kwalletd5 writes a wallet to disk 5 s after a change, and not on TERM: closing the wallets
# writes them now. (A crash - keyring-ctl kill - loses the last 5 s of changes, as it would.)
server_stopping_kwallet() {
    [ -n "${address:-}" ] || read -r address < "$dir/bus.address" 2> /dev/null || return 0
    dbus-send --bus="$address" --reply-timeout=5000 --print-reply --dest=org.kde.kwalletd5 /modules/kwalletd5 \
        org.kde.KWallet.closeAllWallets > /dev/null 2>&1 || true
}

# --- keepassxc -----------------------------------------------------------------------------

keepassxc_password=pw

# Makes $dir/NAME.kdbx (password $keepassxc_password) whose root group is exposed.
keepassxc_make_db() {
    local name=$1 tmp=$dir/tmp
    printf '%s\n%s\n' "$keepassxc_password" "$keepassxc_password" |
        keepassxc-cli db-create -q -p -t 100 "$tmp/$name.new.kdbx" > /dev/null 2>&1 || return 1
    printf '%s\n' "$keepassxc_password" | keepassxc-cli export -q -f xml "$tmp/$name.new.kdbx" > "$tmp/$name.xml" || return 1
    /usr/bin/python3 "$fixtures_dir/keepassxc-expose.py" "$tmp/$name.xml" || return 1
    printf '%s\n%s\n' "$keepassxc_password" "$keepassxc_password" |
        keepassxc-cli import -q -p -t 100 "$tmp/$name.xml" "$dir/$name.kdbx" > /dev/null 2>&1 || return 1
    rm -f "$tmp/$name.new.kdbx" "$tmp/$name.xml"
}

keepassxc_make_dbs() { keepassxc_make_db ci && keepassxc_make_db second; }

server_prepare_keepassxc() {
    mkdir -p "$dir/config/keepassxc"
    # No dialog may ever be needed: confirmations off, nothing locks by itself.
    cat > "$dir/config/keepassxc/keepassxc.ini" << 'CFG'
[General]
ConfigVersion=2
UpdateCheckMessageShown=true
RememberLastDatabases=false
RememberLastKeyFiles=false
[GUI]
CheckForUpdates=false
ShowTrayIcon=false
[Security]
LockDatabaseScreenLock=false
LockDatabaseIdle=false
[FdoSecrets]
Enabled=true
ShowNotification=false
ConfirmDeleteItem=false
ConfirmAccessItem=false
UnlockBeforeSearch=true
CFG
    with_cache keepassxc-dbs keepassxc_make_dbs ci.kdbx second.kdbx
}

server_launch_keepassxc() {
    # One password line per database, in order.
    printf '%s\n%s\n' "$keepassxc_password" "$keepassxc_password" |
        env -i "${server_env[@]}" QT_QPA_PLATFORM=offscreen keepassxc --pw-stdin "$dir/ci.kdbx" "$dir/second.kdbx" \
            >> "$dir/keyring.log" 2>&1 &
    keyring_pid=$!
}

# KeePassXC owns the name before its databases are open: their collections appear locked until
# the key derivation is done, and the default alias moves to each database as it opens.
server_ready_keepassxc() {
    local c n
    while :; do
        n=0
        for c in ci second; do
            dbus-send --bus="$address" --reply-timeout=1000 --print-reply --dest="$secrets_name" \
                "/org/freedesktop/secrets/collection/$c" org.freedesktop.DBus.Properties.Get \
                string:org.freedesktop.Secret.Collection string:Locked 2> /dev/null | grep -q 'boolean false' && n=$((n + 1))
        done
        [ "$n" != 2 ] || break
        now
        if [ "$now_ms" -ge "$deadline" ]; then
            echo "${0##*/}: KeePassXC's databases were not both unlocked within $timeout_ms ms" >&2
            return 1
        fi
        sleep 0.02
    done
    # ... and only then is the alias where it stays.
    dbus-send --bus="$address" --reply-timeout=1000 --print-reply --dest="$secrets_name" /org/freedesktop/secrets \
        org.freedesktop.Secret.Service.ReadAlias string:default 2> /dev/null | grep -q '/collection/second' || {
        echo "${0##*/}: KeePassXC's default alias is not on 'second'" >&2
        return 1
    }
}

# --- libsecret-mock ------------------------------------------------------------------------

server_prepare_libsecret-mock() { :; }

server_launch_libsecret-mock() {
    env -i "${server_env[@]}" /usr/bin/python3 "$fixtures_dir/libsecret-mock.py" "$(libsecret_mock_dir)" \
        < /dev/null >> "$dir/keyring.log" 2>&1 &
    keyring_pid=$!
}

# --- pass-secret-service -------------------------------------------------------------------

pss_make_key() {
    mkdir -m 700 "$dir/gnupg" || return 1
    # No passphrase: gpg-agent never needs a pinentry.
    GNUPGHOME=$dir/gnupg gpg --batch --quiet --passphrase '' \
        --quick-generate-key 'swift-keyring tests <tests@example.invalid>' rsa2048 encr never 2> /dev/null || return 1
    GNUPGHOME=$dir/gnupg gpgconf --kill gpg-agent
}

server_prepare_pass-secret-service() {
    with_cache pss-gnupg pss_make_key gnupg || return 1
    local fpr
    fpr=$(GNUPGHOME=$dir/gnupg gpg --batch --with-colons --list-keys tests@example.invalid 2> /dev/null | awk -F: '/^fpr/ { print $10; exit }')
    [ -n "$fpr" ] || { echo "${0##*/}: no gpg key in $dir/gnupg" >&2; return 1; }
    env -i "${server_env[@]}" GNUPGHOME="$dir/gnupg" PASSWORD_STORE_DIR="$dir/password-store" \
        pass init "$fpr" >> "$dir/keyring.log" 2>&1
}

server_launch_pass-secret-service() {
    env -i "${server_env[@]}" GNUPGHOME="$dir/gnupg" PASSWORD_STORE_DIR="$dir/password-store" \
        "$(pss_program)" --path "$dir/password-store" \
        < /dev/null >> "$dir/keyring.log" 2>&1 &
    keyring_pid=$!
}

server_stop_pass-secret-service() {
    [ -d "$dir/gnupg" ] || return 0
    env -i PATH="$PATH" GNUPGHOME="$dir/gnupg" gpgconf --kill gpg-agent 2> /dev/null || true
}
