<?php

namespace GrowthStandin;

use MediaWiki\MediaWikiServices;
use MediaWiki\User\UserIdentity;
use Wikimedia\Rdbms\IDBAccessObject;
use Wikimedia\Timestamp\ConvertibleTimestamp;

/**
 * Mentor and mentee state shared by the API modules and hooks.
 */
class Mentorship {

	/** User option: mentee state (0 disabled, 1 enabled, 2 opted out, 50 enabled explicitly). */
	public const STATE_PREF = 'growthexperiments-homepage-mentorship-enabled';
	/** User option: MW timestamp until which a mentor is away, or null. */
	public const AWAY_PREF = 'growthexperiments-mentor-away-timestamp';

	public const STATE_DISABLED = 0;
	public const STATE_ENABLED = 1;
	public const STATE_OPTED_OUT = 2;
	public const STATE_ENABLED_EXPLICITLY = 50;

	public const MAX_AWAY_DAYS = 365;

	public static function getState( UserIdentity $user ): int {
		$state = MediaWikiServices::getInstance()->getUserOptionsLookup()
			->getIntOption( $user, self::STATE_PREF, self::STATE_ENABLED, IDBAccessObject::READ_LATEST );
		return $state === self::STATE_ENABLED_EXPLICITLY ? self::STATE_ENABLED : $state;
	}

	public static function isSitewideBlocked( UserIdentity $user ): bool {
		$block = MediaWikiServices::getInstance()->getBlockManager()->getBlock( $user, null, false );
		return $block !== null && $block->isSitewide();
	}

	/** Globally locked (CentralAuth, through core's UserIsLocked hook). */
	public static function isLocked( UserIdentity $user ): bool {
		return MediaWikiServices::getInstance()->getUserFactory()->newFromUserIdentity( $user )->isLocked();
	}

	/** Away whatever the option says: GE counts a sitewide-blocked or locked mentor as away. */
	public static function isAwayBecauseBlockOrLock( UserIdentity $mentor ): bool {
		return self::isSitewideBlocked( $mentor ) || self::isLocked( $mentor );
	}

	public static function isIndefinitelyBlocked( UserIdentity $user ): bool {
		$block = MediaWikiServices::getInstance()->getBlockManager()->getBlock( $user, null, false );
		return $block !== null && wfIsInfinity( $block->getExpiry() );
	}

	/** Opted-out and indefinitely blocked users have no mentor. */
	public static function isIneligible( UserIdentity $user ): bool {
		return self::getState( $user ) === self::STATE_OPTED_OUT || self::isIndefinitelyBlocked( $user );
	}

	/**
	 * Raw away timestamp (MW format) from the user option, only while it is in the future.
	 */
	public static function getAwayTimestamp( UserIdentity $mentor ): ?string {
		$raw = MediaWikiServices::getInstance()->getUserOptionsManager()
			->getOption( $mentor, self::AWAY_PREF, null, false, IDBAccessObject::READ_LATEST );
		if ( $raw === null || $raw === '' ) {
			return null;
		}
		$unix = ConvertibleTimestamp::convert( TS_UNIX, $raw );
		if ( $unix === false || (int)$unix < ConvertibleTimestamp::time() ) {
			return null;
		}
		return (string)$raw;
	}

	/** Away because of the option (not because of a block). */
	public static function isAway( UserIdentity $mentor ): bool {
		return self::getAwayTimestamp( $mentor ) !== null;
	}

	/**
	 * Primary mentor of $mentee as a user identity, or null when there is none, the mentee is
	 * ineligible (opted out, indefinitely blocked) or the mentor account does not exist.
	 */
	public static function getPrimaryMentor( UserIdentity $mentee ): ?UserIdentity {
		if ( !$mentee->isRegistered() || self::isIneligible( $mentee ) ) {
			return null;
		}
		$mentorId = MentorStore::getMentorId( $mentee, MentorStore::ROLE_PRIMARY );
		if ( $mentorId === null ) {
			return null;
		}
		return MediaWikiServices::getInstance()->getUserIdentityLookup()->getUserIdentityByUserId( $mentorId );
	}

	/**
	 * Draw a mentor by weight among listed mentors with weight > 0 that are not away by date and
	 * not in $excludedIds. As in GE, blocked or locked mentors are not skipped here.
	 *
	 * @param int[] $excludedIds
	 */
	public static function drawMentor( array $excludedIds ): ?UserIdentity {
		$lookup = MediaWikiServices::getInstance()->getUserIdentityLookup();
		$pool = [];
		foreach ( MentorList::loadEntries() as $id => $entry ) {
			$weight = MentorList::getWeight( $entry );
			if ( $weight <= 0 || in_array( $id, $excludedIds, true ) ) {
				continue;
			}
			$user = $lookup->getUserIdentityByUserId( $id );
			if ( !$user || self::isAway( $user ) ) {
				continue;
			}
			for ( $i = 0; $i < $weight; $i++ ) {
				$pool[] = $user;
			}
		}
		if ( !$pool ) {
			return null;
		}
		return $pool[random_int( 0, count( $pool ) - 1 )];
	}
}
