# MeshDns container image. Cannot be built on the development machine (no Docker engine); its publish step is the
# same command .ci/run executes, so CI proves it works:
#   dotnet publish src/MeshDns/MeshDns.csproj -c Release -o publish
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/MeshDns/MeshDns.csproj -c Release -o /publish

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# Port 53 without root: give the apphost (it runs the app in-process) CAP_NET_BIND_SERVICE as a file capability.
# Pods can instead set the safe sysctl net.ipv4.ip_unprivileged_port_start=0 (deploy/kubernetes does both).
COPY --from=build /publish /app
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap 'cap_net_bind_service=+ep' /app/meshdns \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# A numeric, non-root user (65532 is distroless's "nonroot"); no shell login, owns nothing in the image.
USER 65532:65532
ENV DOTNET_gcServer=0 DOTNET_TieredPGO=1
EXPOSE 53/udp 53/tcp 8080/tcp 8181/tcp 9153/tcp
ENTRYPOINT ["/app/meshdns"]
CMD ["-conf", "/etc/meshdns/Corefile"]
