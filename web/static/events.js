// A shared worker: one stream of training events for every tab of the page
// in this browser. A browser opens at most six HTTP/1.1 connections to a
// host; a stream per tab (and per page kept in the back/forward cache)
// would use them all up and stall the next request. Tabs say "hello" when
// they show and "bye" when they hide; a tab that joins gets the current
// state, replayed from the last "state" event on.
"use strict";

const names = ["state", "progress", "point", "epoch", "samples"];
const ports = new Set();
let source = null;
let log = []; // the last state event and the events since, latest progress and samples only

function open() {
  source = new EventSource("/api/training");
  for (const name of names) {
    source.addEventListener(name, (e) => {
      const msg = {name, data: e.data};
      if (name === "state") log = [];
      if (name === "progress" || name === "samples") log = log.filter((m) => m.name !== name);
      log.push(msg);
      for (const p of ports) p.postMessage(msg);
    });
  }
}

onconnect = (e) => {
  const port = e.ports[0];
  port.onmessage = (m) => {
    if (m.data === "hello") {
      ports.add(port);
      if (!source) open(); else for (const msg of log) port.postMessage(msg);
    } else if (m.data === "bye") {
      ports.delete(port);
      if (ports.size === 0 && source) { source.close(); source = null; log = []; }
    }
  };
  port.start();
};
