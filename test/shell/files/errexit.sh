#!/bin/sh
set -e
false || echo "or ran"
if false; then echo no; fi
! true
echo reached
false
echo "not reached"
