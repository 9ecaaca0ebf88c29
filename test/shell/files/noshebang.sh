echo "run by sh without a first line"
