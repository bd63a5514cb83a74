#!/usr/bin/env bash
# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
# Source this file; every script that starts a server takes its port here.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
