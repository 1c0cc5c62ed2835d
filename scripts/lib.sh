# Shared by scripts/test and scripts/demo: find Odoo, set up what PyPI and Debian can give, start
# PostgreSQL. Sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_PATH=${ODOO_PATH:-/opt/odoo19}
ODOO_PYTHON=${ODOO_PYTHON:-/opt/odoo19-venv/bin/python}
DEV_VENV=${DEV_VENV:-$REPO/.venv}

log() { printf '[customer_rebate] %s\n' "$*" >&2; }

# The pure test environment: pytest, hypothesis, pylint-odoo… Rebuilt when requirements change.
ensure_dev_venv() {
    local stamp="$DEV_VENV/.requirements.sha"
    local want
    want=$(sha256sum "$REPO/requirements-dev.txt" | cut -d' ' -f1)
    if [ ! -x "$DEV_VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "setting up the test environment in $DEV_VENV"
        python3 -m venv "$DEV_VENV"
        "$DEV_VENV/bin/pip" install -q -r "$REPO/requirements-dev.txt"
        echo "$want" > "$stamp"
    fi
}

# True when an Odoo 19 source tree is at ODOO_PATH.
odoo_found() {
    [ -f "$ODOO_PATH/odoo-bin" ] && grep -q "19, 0" "$ODOO_PATH/odoo/release.py" 2>/dev/null
}

# Odoo's own Python requirements come from PyPI: install them when the interpreter is missing.
ensure_odoo_python() {
    if [ -x "$ODOO_PYTHON" ] && "$ODOO_PYTHON" -c "import psycopg2, lxml, werkzeug" 2>/dev/null; then
        return 0
    fi
    local venv
    venv=$(dirname "$(dirname "$ODOO_PYTHON")")
    log "installing Odoo's Python requirements into $venv"
    python3 -m venv "$venv"
    local constraints
    constraints=$(mktemp)
    # python-ldap needs LDAP headers and only serves auth_ldap; old sdists need pkg_resources
    echo 'setuptools<70' > "$constraints"
    grep -vi '^python-ldap' "$ODOO_PATH/requirements.txt" > "$constraints.req"
    PIP_CONSTRAINT="$constraints" "$venv/bin/pip" install -q wheel 'setuptools<70'
    PIP_CONSTRAINT="$constraints" "$venv/bin/pip" install -q -r "$constraints.req"
    rm -f "$constraints" "$constraints.req"
}

# The addons' own Python packages (requirements-odoo.txt) in Odoo's Python, reinstalled when the
# file changes: a fresh machine gets them from this, not from a hand-made install.
ensure_addon_requirements() {
    local stamp
    stamp="$(dirname "$(dirname "$ODOO_PYTHON")")/.customer_rebate_requirements.sha"
    local want
    want=$(sha256sum "$REPO/requirements-odoo.txt" | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing the addons' Python requirements (requirements-odoo.txt) into $ODOO_PYTHON"
        "$ODOO_PYTHON" -m pip install -q -r "$REPO/requirements-odoo.txt" && echo "$want" > "$stamp"
    fi
}

# Start the machine's PostgreSQL cluster if it is installed but down, and make sure the current
# user has a role (Odoo refuses to connect as "postgres").
ensure_postgres() {
    if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
            if [ "$status" != "online" ]; then
                log "starting PostgreSQL $version/$cluster"
                pg_ctlcluster "$version" "$cluster" start
            fi
        done
    fi
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        su postgres -c "createuser --superuser $(id -un)" >/dev/null 2>&1 || true
    fi
    psql -d postgres -Atc 'select 1' >/dev/null 2>&1
}

# Build both addons as wheels the way OCA publishes addons (whool: odoo-addon-customer_rebate,
# odoo-addon-customer_rebate_cn; pip fetches whool from PyPI) and install them, without their
# dependencies, into var/wheel-addons: ADDONS_DIR then points Odoo at what the wheels ship.
build_addon_wheels() {
    local dist="$REPO/var/dist" site="$REPO/var/wheel-addons"
    rm -rf "$dist" "$site"
    if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=all -- customer_rebate customer_rebate_cn | grep '^??')" ]; then
        log "warning: untracked files in the addons are left out of the wheels (git add them)"
    fi
    "$ODOO_PYTHON" -m pip wheel -q --no-deps "$REPO/customer_rebate" "$REPO/customer_rebate_cn" -w "$dist" \
        && "$ODOO_PYTHON" -m pip install -q --no-deps --target "$site" "$dist"/*.whl \
        && [ -f "$site/odoo/addons/customer_rebate/__manifest__.py" ] \
        && ADDONS_DIR="$site/odoo/addons"
}

odoo_bin() {
    "$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" \
        --addons-path="$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,${ADDONS_DIR:-$REPO}" \
        --http-interface=127.0.0.1 "$@"
}
