// Run by the mongo image's entry point once, on an empty data volume, as the root user
// (MONGO_INITDB_ROOT_USERNAME), before the replica set starts.
//
// One user per service, in the admin database (connect with authSource=admin), allowed to
// read and write its own database only: a service cannot read or change another's data.
// Passwords: PULSE_MONGO_PASSWORD_<SERVICE> (see deploy/compose/env.example). Database names
// follow shared/settings.py (`pulse_<service>`, as compose sets no TOPIC_PREFIX and no
// MONGODB_DATABASE; tests/unit/ops/test_deploy_config.py checks it).
const services = ["intake", "reviews", "training", "reporting"];
const admin = db.getSiblingDB("admin");

// Every password first, so that a missing one stops the set-up before any user is made.
const passwords = {};
for (const service of services) {
  const variable = `PULSE_MONGO_PASSWORD_${service.toUpperCase()}`;
  passwords[service] = process.env[variable];
  if (!passwords[service]) {
    throw new Error(`mongodb-init: ${variable} is not set`);
  }
}

for (const service of services) {
  const pwd = passwords[service];
  const roles = [{ role: "readWrite", db: `pulse_${service}` }];
  if (admin.getUser(service)) {
    admin.updateUser(service, { pwd, roles });
  } else {
    admin.createUser({ user: service, pwd, roles });
  }
  print(`mongodb-init: user ${service} may read and write pulse_${service} only`);
}
