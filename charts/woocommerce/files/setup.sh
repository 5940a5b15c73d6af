# Installs WordPress and WooCommerce without the wizard. Safe to run again:
# every step checks what is already there first.
set -eu
wp() { command wp --path=/var/www/html "$@"; }

echo "waiting for the database at $WORDPRESS_DB_HOST"
until php -r 'exit(@mysqli_connect(getenv("WORDPRESS_DB_HOST"), getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"), getenv("WORDPRESS_DB_NAME")) ? 0 : 1);'; do
  sleep 5
done

if wp core is-installed; then
  echo "WordPress is installed"
else
  echo "installing WordPress at $STORE_URL"
  # The admin password comes from the mounted Secret on stdin, never from the command line.
  wp core install --url="$STORE_URL" --title="$STORE_TITLE" --admin_user="$ADMIN_USER" \
    --admin_email="$ADMIN_EMAIL" --skip-email --prompt=admin_password < /run/secrets/store/wordpress-admin-password
fi
wp option update home "$STORE_URL"
wp option update siteurl "$STORE_URL"
wp option update blogname "$STORE_TITLE"

if wp plugin is-installed woocommerce; then
  echo "WooCommerce is installed"
else
  wp plugin install woocommerce --version="$WOOCOMMERCE_VERSION"
fi
wp plugin is-active woocommerce || wp plugin activate woocommerce
wp option update woocommerce_currency "$STORE_CURRENCY"
wp wc tool run install_pages --user="$ADMIN_USER"
wp wc payment_gateway update cod --enabled=true --user="$ADMIN_USER"

if [ -n "$(wp wc product list --sku="$PRODUCT_SKU" --field=id --user="$ADMIN_USER")" ]; then
  echo "product $PRODUCT_SKU exists"
else
  wp wc product create --name="$PRODUCT_NAME" --sku="$PRODUCT_SKU" --regular_price="$PRODUCT_PRICE" \
    --status=publish --user="$ADMIN_USER"
fi
echo "store ready at $STORE_URL"
