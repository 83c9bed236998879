#!/usr/bin/env sh
# Makes the secrets the Compose stack mounts, for development and staging: random passwords and
# keys, an empty OpenAI key (set it to use the openai backend), a self-signed TLS
# certificate for DIA3_TLS_HOSTNAME (default localhost) and the certificates of the stack's
# internal TLS (below). Existing files are kept.
# Usage: ./make-dev-secrets.sh [directory]   (default: the directory of this script)
set -eu
dir=${1:-$(dirname "$0")}
host=${DIA3_TLS_HOSTNAME:-localhost}
umask 077
mkdir -p "$dir"
random() { openssl rand -hex 24; }
for name in dia3_admin_api_key dia3_flower_password dia3_chroma_token dia3_llm_server_key \
    grafana_admin_password; do
  [ -s "$dir/$name" ] || random > "$dir/$name"
done
[ -e "$dir/openai_api_key" ] || : > "$dir/openai_api_key"
# The master key of the encryption at rest: keep a copy elsewhere, backups need it.
[ -s "$dir/dia3_encryption_key" ] || openssl rand -base64 32 > "$dir/dia3_encryption_key"
if [ ! -s "$dir/tls.crt" ] || [ ! -s "$dir/tls.key" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
fi
# Traffic inside the stack is TLS too: a private CA (internal-ca.crt; its key stays here)
# signs Redis's server certificate (redis.crt, for the name redis and, in the high-availability
# override docker-compose.ha.yml, its replicas and Sentinels), the API's (api.crt, for
# the name api) and the client certificate the components present to Redis (redis-client.crt).
ca() { openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=DIA3 internal CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/internal-ca.key" -out "$dir/internal-ca.crt" 2>/dev/null; }
issue() {  # issue NAME CN EXTENDED_KEY_USAGE [SUBJECT_ALT_NAME]
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$dir/$1.key" \
    -out "$dir/$1.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' \
    "$3" "${4:+subjectAltName=$4}" >"$dir/$1.ext"
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/internal-ca.crt" -CAkey "$dir/internal-ca.key" \
    -CAcreateserial -days 825 -extfile "$dir/$1.ext" -out "$dir/$1.crt" 2>/dev/null
  rm -f "$dir/$1.csr" "$dir/$1.ext"
}
if [ ! -s "$dir/internal-ca.crt" ] || [ ! -s "$dir/internal-ca.key" ]; then
  ca; rm -f "$dir/redis.crt" "$dir/api.crt" "$dir/redis-client.crt"
fi
[ -s "$dir/redis.crt" ] && [ -s "$dir/redis.key" ] || \
  issue redis redis serverAuth,clientAuth \
    "DNS:redis,DNS:redis-replica-1,DNS:redis-replica-2,DNS:redis-sentinel-1,DNS:redis-sentinel-2,DNS:redis-sentinel-3,DNS:localhost,IP:127.0.0.1"
[ -s "$dir/api.crt" ] && [ -s "$dir/api.key" ] || \
  issue api api serverAuth "DNS:api,DNS:localhost,IP:127.0.0.1"
[ -s "$dir/redis-client.crt" ] && [ -s "$dir/redis-client.key" ] || \
  issue redis-client dia3 clientAuth
# Readable by the containers' users (the files are mounted read-only as Compose secrets).
chmod 0644 "$dir"/dia3_admin_api_key "$dir"/dia3_flower_password "$dir"/dia3_chroma_token \
  "$dir"/dia3_encryption_key "$dir"/dia3_llm_server_key \
  "$dir"/grafana_admin_password \
  "$dir"/openai_api_key "$dir"/tls.crt "$dir"/tls.key "$dir"/internal-ca.crt \
  "$dir"/redis.crt "$dir"/redis.key "$dir"/api.crt "$dir"/api.key \
  "$dir"/redis-client.crt "$dir"/redis-client.key
echo "secrets in $dir"
