// Follows the discovery watch stream (server-sent events) of this process type and keeps
// whether this instance is the leader. The platform pushes every change, so nothing polls.
const http = require('node:http');

function followLeadership(onChange) {
  const {
    WHARF_DISCOVERY_URL: base,
    WHARF_APP: app,
    WHARF_PROCESS_TYPE: type,
    WHARF_INSTANCE_ID: id,
  } = process.env;
  const url = `${base}/apps/${app}/types/${type}/watch?instance=${encodeURIComponent(id)}`;
  let isLeader = false;
  const connect = () => {
    const req = http.get(url, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (data) {
            const now = JSON.parse(data.slice(6)).isLeader === true;
            if (now !== isLeader) {
              isLeader = now;
              onChange(now);
            }
          }
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('end', retry);
    });
    req.on('error', retry);
  };
  // The platform closes the stream when it stops; follow it again when it is back.
  let retrying = false;
  function retry() {
    if (retrying) return;
    retrying = true;
    setTimeout(() => {
      retrying = false;
      connect();
    }, 1000).unref();
  }
  connect();
  return () => isLeader;
}

module.exports = { followLeadership };
