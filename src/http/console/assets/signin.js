// Signing in with a web user's email and password (`imgate users create`).

import {BASE, api} from './api.js';
import {h, notice, replace} from './dom.js';

export function render(main, onSignedIn) {
  const email = h('input', {id: 'email', type: 'email', name: 'email', required: true,
    autocomplete: 'username', autofocus: true});
  const password = h('input', {id: 'password', type: 'password', name: 'password',
    required: true, autocomplete: 'current-password'});
  const error = h('div');
  const submit = h('button', {class: 'btn btn-primary btn-wide', type: 'submit'}, 'Sign in');
  const form = h('form', {class: 'card signin', id: 'signin-form'},
    h('div', {class: 'signin-brand'}, h('img', {src: `${BASE}/assets/icon.svg`, alt: '', width: 40,
      height: 40}), h('h1', {tabindex: '-1'}, 'Sign in to imgate')),
    h('div', {class: 'field'}, h('label', {for: 'email'}, 'Email'), email),
    h('div', {class: 'field'}, h('label', {for: 'password'}, 'Password'), password),
    error, submit,
    h('p', {class: 'muted'}, 'Users are made by the operator: imgate users create --email …'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      await api('/api/passport/web/email/login/', {method: 'POST',
        body: {email: email.value, password: password.value}});
      await onSignedIn();
    } catch (failure) {
      replace(error, notice('error', failure.message));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  replace(main, h('div', {class: 'signin-wrap'}, form));
  email.focus();
}
