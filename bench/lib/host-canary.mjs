// The host probe's canary (bench/lib/host-stall.ts): an otherwise idle process whose 1 ms timer
// notes the longest gap between two of its turns. It does no work of its own, so when it misses
// its turns for tens of milliseconds the cause is outside every process on the machine: the
// virtual machine itself was not running (hypervisor steal), or every core was taken. Answers
// each IPC message with the longest gap since the previous one, in milliseconds, and resets.
// Plain JS, forked with no loader.
let longest = 0;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > longest) longest = now - last;
  last = now;
}, 1);
process.on('message', () => {
  process.send?.(longest);
  longest = 0;
});
process.on('disconnect', () => process.exit(0));
