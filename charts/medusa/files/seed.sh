# Seeds a region, a sales channel with a publishable key, shipping and a product, then the
# admin user. Safe to run again: the seed script and this one skip what exists.
set -eu
./node_modules/.bin/medusa exec ./src/scripts/urumi-seed.js
# The password is read from the environment (the Secret), never rendered into the manifest.
if output=$(./node_modules/.bin/medusa user --email "$MEDUSA_ADMIN_EMAIL" --password "$MEDUSA_ADMIN_PASSWORD" 2>&1); then
  echo "admin user $MEDUSA_ADMIN_EMAIL created"
elif printf '%s' "$output" | grep -qi "already exists"; then
  echo "admin user $MEDUSA_ADMIN_EMAIL exists"
else
  printf '%s\n' "$output" >&2
  exit 1
fi
