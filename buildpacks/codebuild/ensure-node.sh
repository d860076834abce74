# Sourced by the buildspecs (not run): makes Node.js >= WHARF_NODE_MAJOR the `node` on PATH.
# The runner is TypeScript run by Node's type stripping, which needs Node 22.18 or newer; we
# pin the same major as the project (24). CodeBuild images carry an older default Node, so
# when it is too old, Node comes from the npm package `node` (the way the project's own
# checkout gets it) into WHARF_HOME, which needs only the npm registry.
wharf_node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

wharf_ensure_node() {
  local want=${WHARF_NODE_MAJOR:-24}
  local prefix=${WHARF_HOME:?WHARF_HOME is not set}/node
  if [ "$(wharf_node_major)" -lt "$want" ] && [ -x "$prefix/node_modules/.bin/node" ]; then
    export PATH="$prefix/node_modules/.bin:$PATH"
  fi
  if [ "$(wharf_node_major)" -lt "$want" ]; then
    echo "-----> Installing Node.js $want (this image has $(node --version 2>/dev/null || echo no node))"
    mkdir -p "$prefix" &&
      npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node@$want" >&2 ||
      { echo " !     could not install Node.js $want from the npm registry" >&2; return 1; }
    export PATH="$prefix/node_modules/.bin:$PATH"
  fi
  if [ "$(wharf_node_major)" -lt "$want" ]; then
    echo " !     node on PATH is $(node --version 2>/dev/null || echo missing), not $want or newer" >&2
    return 1
  fi
  echo "-----> Using Node.js $(node --version)"
}

wharf_ensure_node
