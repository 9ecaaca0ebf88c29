#!/bin/bash
source ./lib.sh
greet bash
echo -e 'tab\there'
echo 'no\tescape'
