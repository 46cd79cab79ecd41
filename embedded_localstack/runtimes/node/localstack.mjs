// The runtime's reports to LocalStack: over the executor's report pipe (_EMBEDDED_REPORT_FD,
// report_pipe.py), or to LocalStack's executor endpoint over HTTP without one. Node built-ins only.
import fs from 'node:fs';
import http from 'node:http';

export class LocalStack {
  constructor(endpoint, reportFd) {
    const url = new URL(endpoint);
    this.host = url.hostname;
    this.port = Number(url.port) || 80;
    this.prefix = url.pathname.replace(/\/$/, '');
    // One kept-alive connection: a new one per report costs more than a warm invocation's own work.
    // Its idle socket is unref'd by the agent, so it never keeps the event loop alive.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The executor's report pipe (report_pipe.py), as the Python runtime uses it: no gateway request.
    this.reportFd = reportFd;
  }

  post(route, body) {
    const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    if (this.reportFd !== undefined) {
      // Frame: "<path> <body length>\n<body>". Written whole before the promise settles, so a
      // report made just before process.exit is not lost.
      const frame = Buffer.concat([Buffer.from(`${route} ${data.length}\n`), data]);
      let written = 0;
      while (written < frame.length) {
        try {
          written += fs.writeSync(this.reportFd, frame, written);
        } catch (error) {
          if (error.code !== 'EAGAIN') return Promise.reject(error);
        }
      }
      return Promise.resolve();
    }
    const attempt = () => new Promise((resolve, reject) => {
      const request = http.request({
        host: this.host, port: this.port, path: this.prefix + route, method: 'POST', agent: this.agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': data.length },
        timeout: 30_000,
      }, (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('error', reject);
      });
      request.on('error', reject);
      request.on('timeout', () => request.destroy(new Error(`no answer from LocalStack to ${route}`)));
      request.end(data);
    });
    return attempt().catch(attempt); // a kept-alive socket LocalStack closed meanwhile
  }
}

// The report pipe as a descriptor of this process alone. The inherited one can pass to child processes
// the function starts (seen when environments start side by side), and a child that wrote to it would
// break the frames. Node opens files close-on-exec, so: reopen it, close the original.
export function privateReportFd(inherited) {
  if (!inherited) return undefined;
  const fd = Number(inherited);
  try {
    const own = fs.openSync(`${process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd'}/${fd}`, 'w');
    fs.closeSync(fd);
    return own;
  } catch {
    return fd; // no /proc or /dev/fd: the inherited descriptor still carries the reports
  }
}
