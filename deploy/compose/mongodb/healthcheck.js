// The compose health check of `mongodb` (run with the root user's credentials): initiates the
// one-member replica set on first start, then reports healthy once this node is the writable
// primary. The member is advertised as mongodb:27017, the name the other containers resolve.
try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized") {
    throw e;
  }
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongodb:27017" }] });
}
quit(db.hello().isWritablePrimary ? 0 : 1);
