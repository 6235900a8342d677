# dkv: kv-node (the server) and kvctl (its client, used by the probes).
#   docker build -t kv-node .
#   docker run --rm -p 7000:7000 kv-node --id node1 --peer-addr 127.0.0.1:7000
# See README.md "Docker" and "Kubernetes".

# ---- build: the same scripts/build a developer runs (it installs its own apt deps)
FROM debian:bookworm AS builder
WORKDIR /src
COPY . .
RUN scripts/build kv-node kvctl \
    && install -D -m 0755 build/bin/kv-node /out/kv-node \
    && install -D -m 0755 build/bin/kvctl /out/kvctl

# ---- runtime: only the shared libraries the two binaries link
# (ldd build/bin/kv-node; dpkg -S maps each library to its package;
# libc6, libgcc-s1 and libstdc++6 are in the slim image already)
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libboost-filesystem1.81.0 \
        libboost-json1.81.0 \
        libboost-log1.81.0 \
        libboost-program-options1.81.0 \
        libboost-thread1.81.0 \
        libxxhash0 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 dkv \
    && useradd --uid 10001 --gid dkv --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin dkv \
    && mkdir -p /data /logs \
    && chown dkv:dkv /data /logs
COPY --from=builder /out/kv-node /out/kvctl /usr/local/bin/

# Container defaults: every kv-node flag can come from DKV_<NAME>, and the
# command line wins, so `docker run kv-node --id ... --peer-addr ...` is
# enough. No REPL (there is no terminal); listen on every interface.
ENV DKV_DATA_DIR=/data \
    DKV_LOG_DIR=/logs \
    DKV_NO_REPL=true \
    DKV_LISTEN=0.0.0.0:7000 \
    DKV_ADDR=127.0.0.1:7000
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 7000
ENTRYPOINT ["kv-node"]
