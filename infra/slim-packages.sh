#!/bin/sh
# Remove from the installed packages what the dashboard never runs, in the layer that installed them (a
# later layer would only hide the files): test suites (pandas, pyarrow, numpy: ~80 MB), C headers and
# Cython sources for building extensions, and Jupyter's notebook extensions (pydeck's, ~23 MB).
# The Dockerfile runs it after `pip install`; tests/infra/test_image.py runs it on the same install and
# then runs the dashboard from what is left.
# Usage: slim-packages.sh <site-packages folder> <data folder (the install prefix's share/)>
set -eu
site="$1"
data="$2"
# Never in a package's *.dist-info: its licence files keep their source paths there (numpy's libdivide licence
# is under licenses/numpy/_core/include/), and the image must keep them.
find "$site" -depth -type d -name tests -not -path "*.dist-info/*" -exec rm -rf {} +
find "$site" -depth -type d -name include \( -path "*/numpy/*" -o -path "*/pyarrow/*" \) -not -path "*.dist-info/*" \
    -exec rm -rf {} +
find "$site" -type f \( -name "*.pyx" -o -name "*.pxd" -o -name "*.pxi" \) -delete
rm -rf "$data/jupyter"
