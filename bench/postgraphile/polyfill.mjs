// Node 20 lacks Promise.withResolvers (Node >= 22), which PostGraphile 5.1.x (grafast, grafserv,
// @dataplan/pg) calls; this is the spec behaviour, nothing else is changed.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve, reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
