<?php

namespace GlobalLocksStandin;

use MediaWiki\Config\Config;
use MediaWiki\User\Hook\UserIsLockedHook;

/**
 * A user named in $wgGlobalLocksStandinFile is globally locked, as CentralAuth would say through
 * the same core hook; GrowthExperiments then counts a mentor as away and refuses status changes.
 */
class Hooks implements UserIsLockedHook {

	public function __construct( private Config $config ) {
	}

	/** @return string[] */
	public static function lockedNames( Config $config ): array {
		$file = $config->get( 'GlobalLocksStandinFile' );
		if ( !is_string( $file ) || !is_file( $file ) ) {
			return [];
		}
		return array_values( array_filter( array_map( 'trim', file( $file ) ?: [] ) ) );
	}

	/** @inheritDoc */
	public function onUserIsLocked( $user, &$locked ) {
		if ( in_array( $user->getName(), self::lockedNames( $this->config ), true ) ) {
			$locked = true;
		}
	}
}
