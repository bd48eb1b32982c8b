module.exports = require("./sql-migration.cjs")(__filename);
