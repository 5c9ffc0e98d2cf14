/**
 * CMS backdoors (issue 27): a page adding an administrator whose login and password it spells
 * out, through WordPress's user functions or SQL; an installer taking them from its form is
 * not one.
 */
import { describe, expect, it } from 'vitest';
import { addsFixedAdministrator } from '../../src/findings/web-shell/planted-accounts.js';
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
});
