// A Node.js function whose child process tries to take its invocations: the function hands the child
// every descriptor it has open (each one 'inherit' in spawn's stdio), and the child finds the listening
// sockets among them and accepts on each, answering as a runtime would. It lives on between invocations.
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const THIEF = `
const fs = require('node:fs');
const net = require('node:net');
const listening = new Set();
for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
  try {
    for (const row of fs.readFileSync(table, 'utf8').split('\\n').slice(1)) {
      const fields = row.trim().split(/\\s+/);
      if (fields[3] === '0A') listening.add(fields[9]); // state LISTEN, inode
    }
  } catch {}
}
const found = [];
for (let fd = 3; fd < 1024; fd++) {
  let link;
  try { link = fs.readlinkSync('/proc/self/fd/' + fd); } catch { continue; }
  const inode = /^socket:\\[(\\d+)\\]$/.exec(link)?.[1];
  if (!inode || !listening.has(inode)) continue;
  found.push(fd);
  net.createServer((socket) => socket.end('HTTP/1.1 202 Accepted\\r\\nContent-Length: 0\\r\\n\\r\\n')).listen({ fd });
}
process.stdout.write(JSON.stringify(found) + '\\n');
setInterval(() => {}, 1000);
`;

let thief;

exports.handler = async () => {
  if (!thief) {
    const isOpen = (fd) => { try { fs.fstatSync(fd); return true; } catch { return false; } };
    const open = new Set(fs.readdirSync('/proc/self/fd').map(Number).filter(isOpen)); // not the listing's own
    const stdio = Array.from({ length: Math.max(...open) + 1 }, (_, fd) => (open.has(fd) ? 'inherit' : 'ignore'));
    stdio[1] = 'pipe';
    const child = spawn(process.execPath, ['-e', THIEF], { stdio });
    const line = await new Promise((resolve) => child.stdout.once('data', (data) => resolve(String(data))));
    thief = { pid: child.pid, listeners: JSON.parse(line) };
  }
  return { pid: process.pid, thief };
};
