import { ExecArgs } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createInventoryLevelsWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"

// Seeds what a new store needs to take an order through the Store API: a sales channel with a
// publishable key, a region with the system payment provider, a stock location with a shipping
// option, and one product in stock. Each step looks for its object first, so a second run
// (the Job runs after every upgrade) changes nothing.

const required = (name: string): string => {
  const value = process.env[name]
  if (!value) {
    throw new Error(`${name} is not set`)
  }
  return value
}

const CHANNEL = "Urumi storefront"
const LOCATION = "Urumi warehouse"
const FULFILLMENT_SET = "Urumi shipping"
const KEY_TITLE = "Urumi storefront"

export default async function urumiSeed({ container }: ExecArgs) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const stores = container.resolve(Modules.STORE)
  const channels = container.resolve(Modules.SALES_CHANNEL)
  const regions = container.resolve(Modules.REGION)
  const locations = container.resolve(Modules.STOCK_LOCATION)
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const apiKeys = container.resolve(Modules.API_KEY)
  const products = container.resolve(Modules.PRODUCT)

  const regionName = required("SEED_REGION_NAME")
  const currency = required("SEED_CURRENCY").toLowerCase()
  const countries = required("SEED_COUNTRIES").toLowerCase().split(",")
  const price = Number(required("SEED_PRODUCT_PRICE"))

  let [channel] = await channels.listSalesChannels({ name: CHANNEL })
  if (!channel) {
    const { result } = await createSalesChannelsWorkflow(container).run({
      input: { salesChannelsData: [{ name: CHANNEL }] },
    })
    channel = result[0]
    logger.info(`created sales channel ${channel.id}`)
  }

  const [store] = await stores.listStores()
  await updateStoresWorkflow(container).run({
    input: {
      selector: { id: store.id },
      update: {
        supported_currencies: [{ currency_code: currency, is_default: true }],
        default_sales_channel_id: channel.id,
      },
    },
  })

  let [region] = await regions.listRegions({ name: regionName })
  if (!region) {
    const { result } = await createRegionsWorkflow(container).run({
      input: {
        regions: [{ name: regionName, currency_code: currency, countries, payment_providers: ["pp_system_default"] }],
      },
    })
    region = result[0]
    logger.info(`created region ${region.id}`)
  }

  let [location] = await locations.listStockLocations({ name: LOCATION })
  if (!location) {
    const { result } = await createStockLocationsWorkflow(container).run({
      input: { locations: [{ name: LOCATION, address: { address_1: "", city: "", country_code: countries[0] } }] },
    })
    location = result[0]
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" },
    })
    await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: location.id, add: [channel.id] } })
    logger.info(`created stock location ${location.id}`)
  }

  let [profile] = await fulfillment.listShippingProfiles({ type: "default" })
  if (!profile) {
    const { result } = await createShippingProfilesWorkflow(container).run({
      input: { data: [{ name: "Default", type: "default" }] },
    })
    profile = result[0]
  }

  const [existingSet] = await fulfillment.listFulfillmentSets({ name: FULFILLMENT_SET })
  if (!existingSet) {
    const set = await fulfillment.createFulfillmentSets({
      name: FULFILLMENT_SET,
      type: "shipping",
      service_zones: [{ name: regionName, geo_zones: countries.map((country_code) => ({ type: "country" as const, country_code })) }],
    })
    await link.create({
      [Modules.STOCK_LOCATION]: { stock_location_id: location.id },
      [Modules.FULFILLMENT]: { fulfillment_set_id: set.id },
    })
    await createShippingOptionsWorkflow(container).run({
      input: [
        {
          name: "Standard shipping",
          price_type: "flat",
          provider_id: "manual_manual",
          service_zone_id: set.service_zones[0].id,
          shipping_profile_id: profile.id,
          type: { label: "Standard", description: "Ships in 2-3 days.", code: "standard" },
          prices: [
            { currency_code: currency, amount: 5 },
            { region_id: region.id, amount: 5 },
          ],
          rules: [
            { attribute: "enabled_in_store", value: "true", operator: "eq" },
            { attribute: "is_return", value: "false", operator: "eq" },
          ],
        },
      ],
    })
    logger.info(`created fulfillment set ${set.id} with a shipping option`)
  }

  let [key] = await apiKeys.listApiKeys({ title: KEY_TITLE, type: "publishable" })
  if (!key) {
    const { result } = await createApiKeysWorkflow(container).run({
      input: { api_keys: [{ title: KEY_TITLE, type: "publishable", created_by: "urumi-seed" }] },
    })
    key = result[0]
    await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: key.id, add: [channel.id] } })
  }

  const handle = required("SEED_PRODUCT_HANDLE")
  const sku = required("SEED_PRODUCT_SKU")
  const [product] = await products.listProducts({ handle })
  if (!product) {
    await createProductsWorkflow(container).run({
      input: {
        products: [
          {
            title: required("SEED_PRODUCT_TITLE"),
            handle,
            status: ProductStatus.PUBLISHED,
            shipping_profile_id: profile.id,
            options: [{ title: "Size", values: ["One size"] }],
            variants: [
              {
                title: "One size",
                sku,
                manage_inventory: true,
                options: { Size: "One size" },
                prices: [{ amount: price, currency_code: currency }],
              },
            ],
            sales_channels: [{ id: channel.id }],
          },
        ],
      },
    })
    const { data: items } = await query.graph({ entity: "inventory_item", fields: ["id"], filters: { sku } })
    await createInventoryLevelsWorkflow(container).run({
      input: { inventory_levels: items.map((item) => ({ location_id: location.id, inventory_item_id: item.id, stocked_quantity: 100 })) },
    })
    logger.info(`created product ${handle} with 100 in stock`)
  }

  // A publishable key is public by design: the storefront sends it with every Store API call.
  logger.info(`publishable key: ${key.token}`)
}
