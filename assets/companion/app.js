// Shows which Aura this page belongs to until the full page takes over.
document.querySelector("#app h1").textContent = `Aura Companion on ${location.host}`;
