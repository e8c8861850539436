// A DarkAI server as a Node.js service writes one: node:http, JSON.stringify
// (compact; a lone UTF-16 surrogate escaped as \udXXX), one res.write() per
// event (so one HTTP chunk each), and text sliced by UTF-16 code units, as
// String.prototype.slice cuts it: an emoji may be split across two events.
//
//   node darkai_server.mjs        prints "PORT <n>", serves until stdin closes
//
// The reply's text is the request's "query" (or ?text=). Query parameters:
//   units=N      code units per text-chunk event (default 4)
//   crlf=1       CRLF line ends
//   cut_after=N  destroy the socket after N text-chunk events (once they are sent)
//   status=N     answer N with a JSON error body instead
//   delay=MS     wait this long between events
import http from "node:http";

let connections = 0;
const server = http.createServer((req, res) => {
  const params = new URL(req.url, "http://localhost").searchParams;
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (piece) => {
    body += piece;
  });
  req.on("end", async () => {
    let request;
    try {
      request = JSON.parse(body);
    } catch (error) {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
      return;
    }
    const status = Number(params.get("status") || 200);
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/json", "retry-after": "0" });
      res.end(JSON.stringify({ error: `node says ${status}`, model: request.model }));
      return;
    }
    const text = params.get("text") ?? request.query;
    const units = Number(params.get("units") || 4);
    const newline = params.get("crlf") ? "\r\n" : "\n";
    const cutAfter = params.has("cut_after") ? Number(params.get("cut_after")) : -1;
    const delay = Number(params.get("delay") || 0);
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-connection": String(req.socket.connectionNumber),
    });
    const send = (event) => res.write("data: " + JSON.stringify(event) + newline + newline);
    let sent = 0;
    for (let i = 0; i < text.length; i += units) {
      if (sent === cutAfter) {
        // Let what was written reach the client, then cut: no last chunk, no FIN first.
        await new Promise((resolve) => setTimeout(resolve, 100));
        res.socket.destroy();
        return;
      }
      send({ event: "text-chunk", data: { text: text.slice(i, i + units) } });
      sent += 1;
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    }
    send({ event: "final-response", data: { message: text } });
    send({ event: "stream-end" });
    res.end();
  });
});

server.on("connection", (socket) => {
  connections += 1;
  socket.connectionNumber = connections; // sent as x-connection: which connection served
});
// Idle keep-alive connections are closed sooner than Node's 5 s default, so the
// tests can see a client meet a pooled connection the server has closed.
server.keepAliveTimeout = 300;
server.listen(0, "127.0.0.1", () => {
  console.log(`PORT ${server.address().port}`);
});
process.stdin.on("end", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdin.resume();
