#!/usr/bin/env sh
# Makes the secrets the Compose stack mounts, for development and staging: random passwords and
# keys, an empty OpenAI key (set it to use the openai backend) and a self-signed TLS
# certificate for DIA3_TLS_HOSTNAME (default localhost). Existing files are kept.
# Usage: ./make-dev-secrets.sh [directory]   (default: the directory of this script)
set -eu
dir=${1:-$(dirname "$0")}
host=${DIA3_TLS_HOSTNAME:-localhost}
umask 077
mkdir -p "$dir"
random() { openssl rand -hex 24; }
for name in dia3_admin_api_key dia3_flower_password dia3_chroma_token grafana_admin_password; do
  [ -s "$dir/$name" ] || random > "$dir/$name"
done
[ -e "$dir/openai_api_key" ] || : > "$dir/openai_api_key"
if [ ! -s "$dir/tls.crt" ] || [ ! -s "$dir/tls.key" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
fi
# Readable by the containers' users (the files are mounted read-only as Compose secrets).
chmod 0644 "$dir"/dia3_admin_api_key "$dir"/dia3_flower_password "$dir"/dia3_chroma_token \
  "$dir"/grafana_admin_password \
  "$dir"/openai_api_key "$dir"/tls.crt "$dir"/tls.key
echo "secrets in $dir"
