<?php

namespace GrowthStandin;

use MediaWiki\Installer\Hook\LoadExtensionSchemaUpdatesHook;

/**
 * Creates growthexperiments_mentor_mentee on update.php (no services: runs in the installer).
 */
class SchemaHooks implements LoadExtensionSchemaUpdatesHook {

	/** @inheritDoc */
	public function onLoadExtensionSchemaUpdates( $updater ) {
		$updater->addExtensionTable(
			MentorStore::TABLE,
			dirname( __DIR__ ) . '/sql/tables.sql'
		);
	}
}
