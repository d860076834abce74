// A worker process: does a unit of work every few seconds and logs it.
let n = 0;
const every = Number(process.env.WORK_INTERVAL_MS || 5000);
console.log(`worker ${process.env.WHARF_INSTANCE_ID} started (${process.env.WHARF_RELEASE})`);
const timer = setInterval(() => {
  n += 1;
  console.log(`worker tick ${n}`);
}, every);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
