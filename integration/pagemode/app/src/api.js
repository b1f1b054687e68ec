// Every call resolves: a blocked request is shown, not thrown.
export async function call(url, init = {}) {
  try {
    const res = await fetch(url, init);
    return `${res.status} ${await res.text()}`;
  } catch (e) {
    return `blocked: ${e}`;
  }
}

export function xhr(url) {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open('GET', url);
    x.withCredentials = true;
    x.onload = () => resolve(`${x.status} ${x.responseText}`);
    x.onerror = () => resolve('blocked: XMLHttpRequest error');
    x.send();
  });
}

export function show(label, text) {
  const li = document.createElement('li');
  li.textContent = `${label}: ${text}`;
  if (text.startsWith('blocked')) li.className = 'blocked';
  document.getElementById('results').append(li);
}
